import type { RequestInput } from '../lib/rules/index.js'
import type { Request } from './load.js'
import { trafficMix } from './crs-traffic.js'

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
  request: Request
  /** The request the CRS must deny (403); every other one must pass (200). */
  attack: boolean
}

/** The traffic mix as HTTP requests, in crs-traffic.ts's order. */
export function trafficRequests (): TrafficRequest[] {
  return trafficMix().map(([name, input]) => ({ name, request: httpRequestOf(input), attack: name === 'attack' }))
}
