import { Session } from 'node:inspector/promises'
import { writeFileSync } from 'node:fs'
import { AllocationMeter } from './alloc.js'

/**
 * Server side of a benchmark scenario: imports the scenario module, builds its app, listens on an
 * ephemeral loopback port, tells the parent the port, and closes when told. `cpu` asks for its
 * CPU time so far (µs, bench/gateway-lifecycle.ts); `profile-start` and
 * `{ profileStop: file }` run V8's CPU profiler around a measured run only (bench/profile.ts),
 * without the start-up and the warm-up that `node --cpu-prof` would include.
 */
const [modulePath, argsJson] = process.argv.slice(2)
/** What a scenario's `build` returns: a Fastify app, or a bare server with the same three members (servers/floor.ts). */
interface BenchApp {
  listen: (opts: { port: number, host: string }) => Promise<unknown>
  server: { address: () => string | { port: number } | null }
  close: () => Promise<unknown>
}
const mod = await import(new URL(modulePath, new URL('./', import.meta.url)).href) as { build: (args: Record<string, unknown>) => Promise<BenchApp> }
let session: Session | undefined
const heap = new AllocationMeter()
try {
  const app = await mod.build(JSON.parse(argsJson) as Record<string, unknown>)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const addr = app.server.address()
  process.send?.({ port: typeof addr === 'object' && addr !== null ? addr.port : 0 })
  process.on('message', (m: unknown) => {
    if (m === 'close') void app.close().then(() => process.exit(0))
    // The server's own CPU so far in µs, and the heap bytes it allocated since the last `cpu`
    // (bench/gateway-lifecycle.ts reads both around a run).
    if (m === 'cpu') {
      const c = process.cpuUsage()
      process.send?.({ cpu: c.user + c.system, allocated: heap.allocated() })
    }
    if (m === 'profile-start') void profileStart().then(() => process.send?.({ profiling: true }))
    if (typeof m === 'object' && m !== null && 'profileStop' in m) {
      void profileStop(String((m as { profileStop: string }).profileStop)).then(() => process.send?.({ profiled: true }))
    }
  })
} catch (err) {
  process.send?.({ error: String((err as Error).stack ?? err) })
  process.exit(1)
}

async function profileStart (): Promise<void> {
  session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 200 })
  await session.post('Profiler.start')
}

async function profileStop (file: string): Promise<void> {
  if (session === undefined) return
  const { profile } = await session.post('Profiler.stop')
  writeFileSync(file, JSON.stringify(profile))
  session.disconnect()
  session = undefined
}
