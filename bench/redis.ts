import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { Redis } from 'ioredis'
import { freePort, waitForPort } from './nginx.js'

/**
 * Debian's redis-server for the gateway benchmark's shared rate limit: loopback, persistence off.
 * `perRequest()` says how many round trips the store made per request: the rate-limit keys count
 * every request (the window outlasts the benchmark), and Redis counts the script calls the
 * clients sent (EVALSHA, or EVAL when the script was not loaded yet) apart from the commands the
 * script runs inside the server (INCR, then PTTL or PEXPIRE), which cost no round trip.
 */

export const REDIS_SERVER = '/usr/bin/redis-server'

export function redisAvailable (): boolean {
  return existsSync(REDIS_SERVER)
}

export interface BenchRedis {
  url: string
  /** Since start: script calls sent (one round trip each), commands run inside the script, requests counted. */
  perRequest(): Promise<{ calls: number, inScript: number, requests: number }>
  close(): Promise<void>
}

export async function startRedisServer (): Promise<BenchRedis> {
  const port = await freePort()
  const child = spawn(REDIS_SERVER, ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1'], { stdio: 'ignore' })
  await waitForPort(port, 'redis-server')
  const url = `redis://127.0.0.1:${port}/0`
  return {
    url,
    async perRequest () {
      const r = new Redis(url)
      try {
        // Read before this client's own commands add to the count.
        const stats = await r.info('commandstats')
        const calls = (name: string): number => Number(new RegExp(`^cmdstat_${name}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0)
        let requests = 0
        for (const key of await r.keys('fastify-waflog-cc:*')) requests += Number(await r.get(key))
        return { calls: calls('evalsha') + calls('eval'), inScript: calls('incr') + calls('pttl') + calls('pexpire'), requests }
      } finally {
        r.disconnect()
      }
    },
    async close () {
      const exited = new Promise(resolve => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
  }
}
