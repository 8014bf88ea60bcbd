import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { CHECKED_UP_TO } from './request-series.js'
import type { RequestSeries, Template } from './request-series.js'

/**
 * The load generators of the benchmarks. `wrk` (Debian's package) is native and runs in its own
 * process; without it autocannon runs inside the harness, where on a two-core machine it takes
 * most of a core and distorts every ratio (the harness says so in its output).
 */

export interface Request {
  path: string
  method: string
  headers: Record<string, string>
  body?: string
  /** Request `n` of a run as the `n`th of this series (wrk only; autocannon sends `path` and `body` every time). */
  series?: RequestSeries
}

export interface LoadRun {
  /** Responses per second over the run. */
  rps: number
  /** Responses received. */
  total: number
  non2xx: number
  errors: number
}

export interface Load {
  /** What the output calls it. */
  label: string
  /** True when the generator shares the harness process (autocannon). */
  inProcess: boolean
  /** As many requests as `connections` connections can get answered, for `seconds`. */
  saturate: (port: number, req: Request, connections: number, seconds: number) => Promise<LoadRun>
  /** `rate` requests per second for `seconds` (as far as the server keeps up: the achieved rate is in the result). */
  paced: (port: number, req: Request, rate: number, seconds: number) => Promise<LoadRun>
}

export function wrkAvailable (): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined
}

/** Load from `wrk`, or from autocannon when wrk is not on PATH. */
export function chooseLoad (): Load {
  return wrkAvailable() ? wrkLoad() : autocannonLoad()
}

// --- wrk ---------------------------------------------------------------------------------------

/**
 * wrk has no fixed-rate mode (wrk2 is not in Debian), but it asks the script's `delay()` how
 * many milliseconds to wait before each request it sends. The script keeps one schedule per wrk
 * thread, a slot every 1/rate seconds on the monotonic clock (LuaJIT's ffi reads
 * clock_gettime), and each request waits for the next free slot: the requests go out at the
 * rate whatever the response times, as long as enough connections are free (PACED_CONNECTIONS
 * covers the rate times the latency; a schedule more than a second behind starts afresh rather
 * than bursting). The achieved rate is in wrk's output and the harness reports it.
 */
const PACED_CONNECTIONS = 64

function luaString (s: string): string {
  return `"${[...Buffer.from(s, 'utf8')].map(b => `\\${b}`).join('')}"`
}

function luaTemplate (t: Template): string {
  return `{ ${t.map(p => typeof p === 'string' ? luaString(p) : `{ ${p.base}, ${p.offset}, ${p.width} }`).join(', ')} }`
}

/**
 * A series' `request()` hook: the `n`th request of the run is the series' request `start + n`
 * (wrk.format sets Content-Length from the body). Every run starts where none before it went,
 * so that a server's warm-up does not send it the requests of its measured run.
 */
let nextSeriesStart = 0
const SERIES_RUN = 1_000_000
/** Starts stay where the templates were checked to reproduce the series (request-series.ts). */
const CHECKED_SERIES = Math.floor(CHECKED_UP_TO / SERIES_RUN) * SERIES_RUN

function seriesLines (series: RequestSeries): string[] {
  const start = nextSeriesStart
  nextSeriesStart = (nextSeriesStart + SERIES_RUN) % CHECKED_SERIES
  return [
    `local path_t = ${luaTemplate(series.path)}`,
    `local body_t = ${series.body === undefined ? 'nil' : luaTemplate(series.body)}`,
    `local n = ${start}`,
    'local function fill(t)',
    '  local out = {}',
    '  for i, p in ipairs(t) do',
    '    if type(p) == "string" then out[i] = p else',
    '      local s = string.format(p[1] == 16 and "%x" or "%d", p[2] + n)',
    '      if #s < p[3] then s = string.rep("0", p[3] - #s) .. s end',
    '      out[i] = s',
    '    end',
    '  end',
    '  return table.concat(out)',
    'end',
    'function request()',
    '  local r = wrk.format(nil, fill(path_t), nil, body_t and fill(body_t) or nil)',
    '  n = n + 1',
    '  return r',
    'end'
  ]
}

function wrkScript (req: Request, rate: number | undefined): string {
  const lines = [`wrk.method = ${luaString(req.method)}`]
  for (const [k, v] of Object.entries(req.headers)) lines.push(`wrk.headers[${luaString(k)}] = ${luaString(v)}`)
  if (req.body !== undefined) lines.push(`wrk.body = ${luaString(req.body)}`)
  if (req.series !== undefined) lines.push(...seriesLines(req.series))
  if (rate !== undefined) {
    lines.push(
      'local ffi = require("ffi")',
      'ffi.cdef[[',
      'typedef struct { long tv_sec; long tv_nsec; } waf_timespec;',
      'int clock_gettime(int clk, waf_timespec *tp);',
      ']]',
      'local ts = ffi.new("waf_timespec")',
      `local period = ${(1000 / rate).toFixed(6)}`,
      'local slot = nil',
      'function delay()',
      '  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC',
      '  local now = tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6',
      '  if slot == nil or slot < now - 1000 then slot = now end',
      '  slot = slot + period',
      '  if slot <= now then return 0 end',
      '  return math.floor(slot - now)',
      'end'
    )
  }
  return lines.join('\n') + '\n'
}

function parseWrk (out: string): LoadRun {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(out)
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)
  if (total === null || rps === null) throw new Error(`unexpected wrk output:\n${out}`)
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const errors = socket === null ? 0 : socket.slice(1).reduce((a, b) => a + Number(b), 0)
  return { rps: Number(rps[1]), total: Number(total[1]), non2xx: non2xx === null ? 0 : Number(non2xx[1]), errors }
}

async function runWrk (port: number, req: Request, connections: number, seconds: number, rate?: number): Promise<LoadRun> {
  const dir = mkdtempSync(join(tmpdir(), 'waf-bench-wrk-'))
  try {
    const script = join(dir, 'load.lua')
    writeFileSync(script, wrkScript(req, rate))
    const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '-s', script, `http://127.0.0.1:${port}${req.path}`]
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
    const code = await new Promise<number | null>(resolve => child.once('close', resolve))
    if (code !== 0) throw new Error(`wrk exited with ${String(code)}:\n${out}`)
    return parseWrk(out)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function wrkLoad (): Load {
  return {
    label: `wrk (native, its own process, 1 thread; the fixed rate from a schedule in its delay() hook, ${PACED_CONNECTIONS} connections)`,
    inProcess: false,
    saturate: async (port, req, connections, seconds) => await runWrk(port, req, connections, seconds),
    paced: async (port, req, rate, seconds) => await runWrk(port, req, PACED_CONNECTIONS, seconds, rate)
  }
}

// --- autocannon ----------------------------------------------------------------------------------

async function runAutocannon (port: number, req: Request, connections: number, seconds: number, overallRate?: number): Promise<LoadRun> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${req.path}`,
    connections,
    duration: seconds,
    method: req.method as 'GET',
    headers: req.headers,
    body: req.body,
    ...(overallRate === undefined ? {} : { overallRate })
  })
  return { rps: result.requests.average, total: result.requests.total, non2xx: result.non2xx, errors: result.errors + result.timeouts }
}

function autocannonLoad (): Load {
  return {
    label: 'autocannon IN THE HARNESS PROCESS (wrk is not on PATH: apt-get install wrk). It takes most of a core ' +
      'beside the server: req/s ratios are distorted (a fast server looks slower than it is); the CPU µs column is still the server\'s own',
    inProcess: true,
    saturate: async (port, req, connections, seconds) => await runAutocannon(port, req, connections, seconds),
    paced: async (port, req, rate, seconds) => await runAutocannon(port, req, PACED_CONNECTIONS, seconds, Math.round(rate))
  }
}
