import type { FastifyInstance } from 'fastify'
import { answerRequestTimeout } from '../plugins/index.js'

/**
 * Client timeouts as nginx sets them: `header` is `client_header_timeout` (the whole head must
 * arrive within it), `body` is `client_body_timeout` (the longest pause between two reads of the
 * body, not the time for all of it). A request that runs out is answered 408, logged and counted
 * once, and its connection closed, so a stalled client never holds up a graceful close for long.
 */
export interface ClientTimeouts {
  /** ms for the request head (60000). */
  header: number
  /** ms of silence allowed while the body is read (60000). */
  body: number
}

export const DEFAULT_CLIENT_TIMEOUTS: Readonly<ClientTimeouts> = Object.freeze({ header: 60_000, body: 60_000 })

/** Node checks head deadlines on an interval (30 s by default): a tenth of the timeout keeps them close. */
const MAX_CHECK_INTERVAL_MS = 1000

export function applyClientTimeouts (app: FastifyInstance, t: ClientTimeouts): void {
  // HTTP/1 servers (http, https): Node's head timeout answers through the client-error handler
  // (a 408, logged once); the whole request has no deadline of its own, as in nginx. An HTTP/2
  // server has no head timeout of its own (its sessions have theirs).
  const server = app.server as unknown as { headersTimeout?: number, requestTimeout?: number, connectionsCheckingInterval?: number }
  if (typeof server.headersTimeout === 'number') {
    server.headersTimeout = t.header
    server.requestTimeout = 0
    // Read when the server starts listening.
    server.connectionsCheckingInterval = Math.min(MAX_CHECK_INTERVAL_MS, Math.max(10, Math.floor(t.header / 10)))
  }
  app.addHook('onRequest', function clientBodyTimeout (request, reply, done) {
    const raw = request.raw
    const h = raw.headers
    if (h['transfer-encoding'] === undefined && (h['content-length'] === undefined || h['content-length'] === '0')) {
      done()
      return
    }
    // The socket's idle timer, reset by every read; cleared once the whole body is in, so that a
    // slow upstream is no client timeout.
    raw.setTimeout(t.body, () => {
      if (!raw.complete) answerRequestTimeout(reply)
    })
    raw.once('end', () => { raw.setTimeout(0) })
    done()
  })
}
