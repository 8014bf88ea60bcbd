import type { RequestInput } from '../lib/rules/index.js'
import type { Request } from './load.js'
import { trafficSeries } from './crs-traffic.js'
import { templateOf } from './request-series.js'
import type { RequestSeries } from './request-series.js'

/**
 * crs-traffic.ts's requests (the rule engine's input) as the HTTP requests the load generator
 * sends: the same target, headers and body bytes.
 */
export function httpRequestOf (input: RequestInput): Request {
  const headers: Record<string, string> = {}
  const raw = input.rawHeaders ?? []
  for (let i = 0; i + 1 < raw.length; i += 2) headers[raw[i]] = raw[i + 1]
  const b = input.body
  const body = b === undefined ? undefined : b.raw ?? b.form ?? (b.json === undefined ? undefined : JSON.stringify(b.json))
  if (b !== undefined && body === undefined) throw new Error(`${input.method} ${input.url}: a body with no bytes to send`)
  return { path: input.url, method: input.method, headers, ...(body === undefined ? {} : { body }) }
}

export interface TrafficRequest {
  name: string
  /** Request 0 of the kind; with `series` when the load can send request `n` of it as the `n`th. */
  request: Request
  /** The request the CRS must deny (403); every other one must pass (200). */
  attack: boolean
}

/** Headers less Content-Length (the load generator sets it from the body), as one text. */
function headText (r: Request): string {
  return r.method + JSON.stringify(Object.entries(r.headers).filter(([k]) => k.toLowerCase() !== 'content-length'))
}

/**
 * The series of a kind of request as the load sends it: its path and body as templates, when
 * only they vary and they vary by counting numbers (request-series.ts); else undefined.
 */
export function seriesOf (nth: (n: number) => RequestInput): RequestSeries | undefined {
  const at = (n: number): Request => httpRequestOf(nth(n))
  const head = headText(at(0))
  if ([1, 1000].some(n => headText(at(n)) !== head)) return undefined
  const path = templateOf(n => at(n).path)
  if (path === undefined) return undefined
  if (at(0).body === undefined) return { path }
  const body = templateOf(n => at(n).body ?? '')
  return body === undefined ? undefined : { path, body }
}

/**
 * The traffic mix as HTTP requests, in crs-traffic.ts's order: each kind as a series (request `n`
 * its own path, id, token …, as crs-traffic.ts varies them), so that what the gateway's engine
 * remembers across requests helps as much as it would with real clients, no more.
 */
export function trafficRequests (): TrafficRequest[] {
  return trafficSeries().map(([name, nth]) => {
    const series = seriesOf(nth)
    return { name, request: { ...httpRequestOf(nth(0)), ...(series === undefined ? {} : { series }) }, attack: name === 'attack' }
  })
}
