import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import http from 'node:http'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'

/** The node:cluster fixture (test/fixtures/cluster-heartbeat.ts), started and stopped for a test. */

const fixture = fileURLToPath(new URL('../fixtures/cluster-heartbeat.ts', import.meta.url))

export interface ClusterRun {
  child: ChildProcess
  port: number
  /** Distinct ports the workers listen on (1: they share one). */
  ports: number
  workers: number[]
  /** Closes the primary's stdin: it stops its workers (each sends its final report) and exits. */
  stop(): Promise<void>
}

/** Starts the fixture's primary with `workers` workers reporting to `collector`, as `format`. */
export async function startCluster (t: Test, collector: string, workers: number, format: 'json' | 'graphite' = 'json'): Promise<ClusterRun> {
  // The child runs TypeScript with the loader this test runs under; cluster workers inherit it.
  const child = spawn(process.execPath, [...process.execArgv, fixture, collector, String(workers), format], { stdio: ['pipe', 'pipe', 'inherit'] })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  const ready = await new Promise<{ port: number, ports: number, workers: number[] }>((resolve, reject) => {
    let out = ''
    // Each worker compiles the plugins' TypeScript as it starts: slow on a busy 2-core machine.
    const timer = setTimeout(() => reject(new Error(`cluster not listening within 60 s: ${out}`)), 60_000)
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const nl = out.indexOf('\n')
      if (nl !== -1) {
        clearTimeout(timer)
        resolve(JSON.parse(out.slice(0, nl)))
      }
    })
    child.once('exit', code => reject(new Error(`cluster exited with ${code}: ${out}`)))
  })
  return {
    child,
    ...ready,
    async stop () {
      if (child.exitCode !== null) return
      const exited = new Promise(resolve => child.once('exit', resolve))
      child.stdin?.end()
      await exited
    }
  }
}

/**
 * `count` requests on new connections (handed to the workers round-robin), each answered with
 * the id of the worker that took it; returns how many each worker answered.
 */
export async function requestsByWorker (port: number, host: string, count: number): Promise<Map<number, number>> {
  const answeredBy = new Map<number, number>()
  for (let i = 0; i < count; i++) {
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', headers: { host, connection: 'close' }, agent: false }, res => {
        let s = ''
        res.on('data', (d: Buffer) => { s += d.toString() })
        res.on('end', () => resolve(s))
      })
      req.on('error', reject)
    })
    const w = (JSON.parse(body) as { worker: number }).worker
    answeredBy.set(w, (answeredBy.get(w) ?? 0) + 1)
  }
  return answeredBy
}
