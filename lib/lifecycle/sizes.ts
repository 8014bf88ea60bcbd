import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { WafContext } from './context.js'
import { socketState } from './socket-state.js'
import { requestRawHeaders, responseHeadBlock } from '../http2.js'

/**
 * Request and response sizes as nginx counts them: `$request_length` (request line, headers and
 * body as read) and `$bytes_sent` (status line, headers and body). Node exposes no per-message
 * byte count, so the sizes are the socket's byte counters since the previous response on the same
 * connection ended. That is exact for a client that waits for each response before it sends the
 * next request; a pipelining client's bytes are charged to the request whose response ends first.
 * Sockets without counters (light-my-request's fake socket) fall back to an estimate built from
 * the raw request line and headers. So do HTTP/2 streams, whose connection carries many requests
 * at once (and whose socket is gone once the stream closed): their sizes are the request and
 * response heads framed as HTTP/1.1 would frame them, plus the declared body lengths.
 */


/** Fills `ctx.bytesIn` and `ctx.bytesOut` once; later calls for the same context do nothing. */
export function settleSizes (ctx: WafContext, req: IncomingMessage, res: ServerResponse): void {
  if (ctx.bytesOut !== 0) return
  const socket = req.httpVersionMajor === 2 ? null : req.socket as Socket | null
  const read = socket?.bytesRead
  const written = socket?.bytesWritten
  if (socket == null || typeof read !== 'number' || typeof written !== 'number' || written === 0) {
    ctx.bytesIn = estimateRequestBytes(req)
    ctx.bytesOut = estimateResponseBytes(res)
    return
  }
  const state = socketState(socket)
  ctx.bytesIn = read - state.readMark
  ctx.bytesOut = written - state.writeMark
  state.readMark = read
  state.writeMark = written
}

/**
 * Sizes of a request the HTTP parser refused, before its error response is written: what the
 * socket read since the previous response ended, and the `responseBytes` about to be sent.
 */
export function settleRefusedSizes (ctx: WafContext, socket: Socket, responseBytes: number): void {
  const read = typeof socket.bytesRead === 'number' ? socket.bytesRead : 0
  const state = socketState(socket)
  ctx.bytesIn = Math.max(0, read - state.readMark)
  ctx.bytesOut = responseBytes
  state.readMark = read
}

/** The request line and headers as they would be framed on the wire, plus a declared body. */
export function estimateRequestBytes (req: IncomingMessage): number {
  // method SP target SP HTTP/x.y CRLF
  let n = (req.method?.length ?? 0) + 1 + (req.url?.length ?? 0) + 1 + 8 + 2
  const raw = requestRawHeaders(req)
  // llhttp decodes header bytes as latin1, so string length is byte length.
  for (let i = 0; i < raw.length; i += 2) n += raw[i].length + 2 + raw[i + 1].length + 2
  n += 2
  const cl = req.headers['content-length']
  if (cl !== undefined) {
    const len = Number(cl)
    if (Number.isSafeInteger(len) && len > 0) n += len
  }
  return n
}

function estimateResponseBytes (res: ServerResponse): number {
  const head = responseHeadBlock(res)
  const cl = Number(res.getHeader('content-length'))
  return (head === undefined ? 0 : Buffer.byteLength(head, 'latin1')) + (Number.isSafeInteger(cl) && cl > 0 ? cl : 0)
}
