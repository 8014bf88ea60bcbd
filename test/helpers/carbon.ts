import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import dgram from 'node:dgram'
import { access, mkdir, writeFile } from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { promisify } from 'node:util'

/**
 * A throwaway Debian `carbon-cache` (graphite-carbon) on loopback: its own config, schemas,
 * storage, logs and pid file in a temp dir, plaintext receivers on TCP and UDP, 1 s retention.
 * Values are read back from the whisper files with `whisper-fetch`.
 */

export const CARBON_CACHE = '/usr/bin/carbon-cache'
export const WHISPER_FETCH = '/usr/bin/whisper-fetch'

export interface Carbon {
  /** Plaintext protocol over TCP and UDP, on 127.0.0.1. */
  readonly linePort: number
  readonly udpPort: number
  readonly storageDir: string
  /** The points of `metric` (dotted path) between two epoch seconds; null where nothing was stored. */
  fetch(metric: string, from: number, until: number): Promise<Map<number, number | null>>
  /** Polls `fetch` until `metric` holds a value at `t`, then returns it; bounded by `timeoutMs`. */
  valueAt(metric: string, t: number, timeoutMs?: number): Promise<number>
  /** What carbon printed, for failure messages. */
  output(): string
  stop(): Promise<void>
}

/** Why carbon cannot run here, or undefined when it can. */
export async function carbonMissing (): Promise<string | undefined> {
  for (const bin of [CARBON_CACHE, WHISPER_FETCH]) {
    try {
      await access(bin)
    } catch {
      return `${bin} is not installed (Debian package graphite-carbon / python3-whisper)`
    }
  }
  return undefined
}

async function freeTcpPort (): Promise<number> {
  const s = net.createServer()
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as net.AddressInfo).port
  await new Promise<void>(resolve => s.close(() => resolve()))
  return port
}

async function freeUdpPort (): Promise<number> {
  const s = dgram.createSocket('udp4')
  await new Promise<void>(resolve => s.bind(0, '127.0.0.1', resolve))
  const port = s.address().port
  await new Promise<void>(resolve => s.close(() => resolve()))
  return port
}

const execFileP = promisify(execFile)

/**
 * Starts carbon-cache in `dir`. Carbon cannot listen on port 0 (it treats 0 as "off"), so free
 * ports are picked first; if one was taken meanwhile, carbon exits and the start is retried.
 */
export async function startCarbon (dir: string, timeoutMs = 20_000): Promise<Carbon> {
  let lastError: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(path.join(dir, `try-${attempt}`), timeoutMs)
    } catch (err) {
      lastError = err
    }
  }
  throw lastError
}

async function startOnce (dir: string, timeoutMs: number): Promise<Carbon> {
  const storageDir = path.join(dir, 'storage')
  const confDir = path.join(dir, 'conf')
  for (const d of [storageDir, path.join(storageDir, 'whisper'), path.join(storageDir, 'lists'), confDir, path.join(dir, 'log')]) {
    await mkdir(d, { recursive: true })
  }
  const linePort = await freeTcpPort()
  const udpPort = await freeUdpPort()
  const picklePort = await freeTcpPort()
  const queryPort = await freeTcpPort()
  const conf = path.join(confDir, 'carbon.conf')
  await writeFile(conf, [
    '[cache]',
    `STORAGE_DIR = ${storageDir}/`,
    `LOCAL_DATA_DIR = ${storageDir}/whisper/`,
    `WHITELISTS_DIR = ${storageDir}/lists/`,
    `CONF_DIR = ${confDir}/`,
    `LOG_DIR = ${dir}/log/`,
    `PID_DIR = ${dir}/`,
    'DATABASE = whisper',
    // Run as whoever runs the test; no privilege drop.
    'USER =',
    'ENABLE_TAGS = False',
    'MAX_CACHE_SIZE = inf',
    'MAX_UPDATES_PER_SECOND = inf',
    'MAX_CREATES_PER_MINUTE = inf',
    'WHISPER_AUTOFLUSH = True',
    'WHISPER_FALLOCATE_CREATE = False',
    'LINE_RECEIVER_INTERFACE = 127.0.0.1',
    `LINE_RECEIVER_PORT = ${linePort}`,
    'ENABLE_UDP_LISTENER = True',
    'UDP_RECEIVER_INTERFACE = 127.0.0.1',
    `UDP_RECEIVER_PORT = ${udpPort}`,
    'PICKLE_RECEIVER_INTERFACE = 127.0.0.1',
    `PICKLE_RECEIVER_PORT = ${picklePort}`,
    'CACHE_QUERY_INTERFACE = 127.0.0.1',
    `CACHE_QUERY_PORT = ${queryPort}`,
    'LOG_CREATES = True',
    'LOG_UPDATES = False',
    ''
  ].join('\n'))
  await writeFile(path.join(confDir, 'storage-schemas.conf'), '[everything]\npattern = .*\nretentions = 1s:1h\n')
  await writeFile(path.join(confDir, 'storage-aggregation.conf'), '[default]\npattern = .*\nxFilesFactor = 0\naggregationMethod = sum\n')

  const child = spawn(CARBON_CACHE, [`--config=${conf}`, '--nodaemon', '--debug', `--pidfile=${path.join(dir, 'carbon.pid')}`, 'start'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONWARNINGS: 'ignore' }
  })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { out += d.toString() })
  try {
    await new Promise<void>((resolve, reject) => {
      const ready = new RegExp(`CarbonReceiverFactory starting on ${linePort}\\b`)
      const udpReady = new RegExp(`MetricDatagramReceiver starting on ${udpPort}\\b`)
      const timer = setTimeout(() => reject(new Error(`carbon-cache did not start within ${timeoutMs} ms:\n${out}`)), timeoutMs)
      const check = (): void => {
        if (ready.test(out) && udpReady.test(out)) {
          clearTimeout(timer)
          resolve()
        }
      }
      child.stdout?.on('data', check)
      child.once('exit', code => {
        clearTimeout(timer)
        reject(new Error(`carbon-cache exited with ${String(code)}:\n${out}`))
      })
    })
  } catch (err) {
    await kill(child)
    throw err
  }

  const fetch = async (metric: string, from: number, until: number): Promise<Map<number, number | null>> => {
    const file = path.join(storageDir, 'whisper', ...metric.split('.')) + '.wsp'
    const points = new Map<number, number | null>()
    try {
      await access(file)
    } catch {
      return points
    }
    const { stdout } = await execFileP(WHISPER_FETCH, [`--from=${from}`, `--until=${until}`, file], { timeout: 10_000 })
    for (const row of stdout.trim().split('\n')) {
      const [ts, value] = row.split('\t')
      if (ts === undefined || value === undefined) continue
      points.set(Number(ts), value === 'None' ? null : Number(value))
    }
    return points
  }

  return {
    linePort,
    udpPort,
    storageDir,
    fetch,
    async valueAt (metric, t, wait = 10_000) {
      const deadline = Date.now() + wait
      for (;;) {
        const v = (await fetch(metric, t - 1, t + 1)).get(t)
        if (v !== undefined && v !== null) return v
        if (Date.now() > deadline) throw new Error(`carbon stored no value for ${metric} at ${t} within ${wait} ms`)
        await new Promise(resolve => setTimeout(resolve, 100))
      }
    },
    output: () => out,
    stop: () => kill(child)
  }
}

async function kill (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}
