/**
 * `$connection`, `$connection_requests` and `$pipe`: a serial number per connection, the count of
 * requests on it, and whether a request arrived while an earlier one on the same connection was
 * still in flight (HTTP/1.1 pipelining). Kept as symbol properties on the socket and the request,
 * set when the request arrives. An HTTP/2 stream counts on its session's connection and is never
 * pipelined (nginx's `$pipe` is `.` for HTTP/2); its serial is kept on the request (an
 * Http2ServerRequest, a class of its own), as the stream's socket reads nothing once it closed.
 */

import { existingSocketState, socketState } from '../lifecycle/socket-state.js'

/**
 * On the request: its index on the connection times two, plus one when it was pipelined. One
 * small integer under one symbol, set once, so every request object takes the same one
 * hidden-class transition.
 */
const kArrival = Symbol('waf.arrival')
/** On HTTP/2 requests only: the serial of the session's connection. */
const kSessionSerial = Symbol('waf.sessionSerial')

let serial = 0

interface TrackedRequest {
  socket: object | null
  httpVersionMajor?: number
  [kArrival]?: number
  [kSessionSerial]?: number
}

export interface ConnectionFacts {
  connection: number
  connectionRequests: number
  pipelined: boolean
}

/** Counts the request on its connection. Call once per request, when it arrives. */
export function noteArrival (req: object): void {
  const r = req as TrackedRequest
  const sock = r.socket
  if (sock === null || sock === undefined || r[kArrival] !== undefined) return
  const state = socketState(sock)
  if (state.serial === 0) state.serial = ++serial
  const count = ++state.requests
  if (r.httpVersionMajor === 2) {
    r[kArrival] = count * 2
    r[kSessionSerial] = state.serial
    return
  }
  const pipelined = state.pending > 0
  state.pending++
  r[kArrival] = count * 2 + (pipelined ? 1 : 0)
}

/** Marks the request finished on its connection. Call once per request, when it ends. */
export function noteDeparture (req: object): void {
  const r = req as TrackedRequest
  const sock = r.socket
  if (sock === null || sock === undefined || r[kArrival] === undefined || r.httpVersionMajor === 2) return
  const state = existingSocketState(sock)
  if (state !== undefined && state.pending > 0) state.pending--
}

export function connectionSerial (req: object): number {
  const r = req as TrackedRequest
  if (r.httpVersionMajor === 2) return r[kSessionSerial] ?? 0
  const sock = r.socket
  return sock === null || sock === undefined ? 0 : existingSocketState(sock)?.serial ?? 0
}

export function requestIndex (req: object): number {
  const a = (req as TrackedRequest)[kArrival]
  return a === undefined ? 1 : a >> 1
}

export function wasPipelined (req: object): boolean {
  const a = (req as TrackedRequest)[kArrival]
  return a !== undefined && (a & 1) === 1
}

/** A serial number for a connection that never became a request (a parser refusal). */
export function nextSerialFor (socket: object): number {
  const state = socketState(socket)
  if (state.serial === 0) state.serial = ++serial
  return state.serial
}
