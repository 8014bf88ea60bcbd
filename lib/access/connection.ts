/**
 * `$connection`, `$connection_requests` and `$pipe`: a serial number per connection, the count of
 * requests on it, and whether a request arrived while an earlier one on the same connection was
 * still in flight (HTTP/1.1 pipelining). Kept as symbol properties on the socket and the request,
 * set when the request arrives.
 */

const kSerial = Symbol('waf.connSerial')
const kCount = Symbol('waf.connRequests')
const kInFlight = Symbol('waf.connInFlight')
const kIndex = Symbol('waf.requestIndex')
const kPipelined = Symbol('waf.pipelined')

let serial = 0

interface TrackedSocket {
  [kSerial]?: number
  [kCount]?: number
  [kInFlight]?: number
}

interface TrackedRequest {
  socket: object | null
  [kIndex]?: number
  [kPipelined]?: boolean
}

export interface ConnectionFacts {
  connection: number
  connectionRequests: number
  pipelined: boolean
}

/** Counts the request on its connection. Call once per request, when it arrives. */
export function noteArrival (req: object): void {
  const r = req as TrackedRequest
  const sock = r.socket as TrackedSocket | null
  if (sock === null || sock === undefined || r[kIndex] !== undefined) return
  if (sock[kSerial] === undefined) {
    sock[kSerial] = ++serial
    sock[kCount] = 0
    sock[kInFlight] = 0
  }
  const count = (sock[kCount] as number) + 1
  const inFlight = sock[kInFlight] as number
  sock[kCount] = count
  sock[kInFlight] = inFlight + 1
  r[kIndex] = count
  r[kPipelined] = inFlight > 0
}

/** Marks the request finished on its connection. Call once per request, when it ends. */
export function noteDeparture (req: object): void {
  const r = req as TrackedRequest
  const sock = r.socket as TrackedSocket | null
  if (sock === null || sock === undefined || r[kIndex] === undefined) return
  const inFlight = sock[kInFlight] ?? 0
  if (inFlight > 0) sock[kInFlight] = inFlight - 1
}

export function connectionSerial (req: object): number {
  const sock = (req as TrackedRequest).socket as TrackedSocket | null
  return sock?.[kSerial] ?? 0
}

export function requestIndex (req: object): number {
  return (req as TrackedRequest)[kIndex] ?? 1
}

export function wasPipelined (req: object): boolean {
  return (req as TrackedRequest)[kPipelined] === true
}

/** A serial number for a connection that never became a request (a parser refusal). */
export function nextSerialFor (socket: object): number {
  const sock = socket as TrackedSocket
  if (sock[kSerial] === undefined) {
    sock[kSerial] = ++serial
    sock[kCount] = 0
    sock[kInFlight] = 0
  }
  return sock[kSerial] as number
}
