import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/**
 * A loopback TCP collector in its own process (bench/servers/collector.ts), so that reading the
 * logs costs neither the server under test nor the load generator.
 */
export interface CollectorProcess {
  url: string
  count: () => Promise<{ bytes: number, lines: number }>
  close: () => Promise<void>
}

export async function startCollector (): Promise<CollectorProcess> {
  const child = fork(fileURLToPath(new URL('./servers/collector.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port))
    child.once('exit', code => reject(new Error(`collector exited with ${String(code)}`)))
  })
  return {
    url: `tcp://127.0.0.1:${port}`,
    count: async () => await new Promise(resolve => {
      child.once('message', m => resolve(m as { bytes: number, lines: number }))
      child.send('count')
    }),
    close: async () => {
      const exited = new Promise(resolve => child.once('exit', resolve))
      child.send('close')
      await exited
    }
  }
}
