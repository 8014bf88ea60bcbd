import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import type { Test } from 'tap'
import { freePort, waitForPort } from './ports.js'

export const REDIS_SERVER = '/usr/bin/redis-server'

/** Why redis-server cannot run here (undefined when it can); under CI its absence is a failure. */
export function redisMissing (): string | undefined {
  if (existsSync(REDIS_SERVER)) return undefined
  const why = `${REDIS_SERVER} is missing (apt-get install redis-server)`
  if (process.env.CI !== undefined && process.env.CI !== '') throw new Error(`${why}, and CI is set`)
  return why
}

/** Debian's redis-server on a loopback port, persistence off; stopped with the test. */
export interface RedisServer {
  port: number
  url: string
  /** Stops the server (SIGKILL: nothing is saved or flushed) and waits until it is gone. */
  stop(): Promise<void>
  /** Starts it again on the same port, empty. */
  start(): Promise<void>
}

export async function startRedis (t: Test): Promise<RedisServer> {
  const port = await freePort()
  let child: ChildProcess | undefined
  const start = async (): Promise<void> => {
    child = spawn(REDIS_SERVER, ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1',
      // DEBUG SLEEP makes the server slow on purpose, for the timeout tests; loopback clients only.
      '--enable-debug-command', 'local'], { stdio: 'ignore' })
    await waitForPort(port, 10_000)
  }
  const stop = async (): Promise<void> => {
    const c = child
    child = undefined
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return
    const gone = new Promise(resolve => c.once('exit', resolve))
    c.kill('SIGKILL')
    await gone
  }
  await start()
  t.teardown(stop)
  return { port, url: `redis://127.0.0.1:${port}/0`, stop, start }
}
