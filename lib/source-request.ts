import type { IncomingHttpHeaders } from 'node:http'

/** The connection a request came over, as far as the log needs it (a `net.Socket` is one). */
export interface SourceSocket {
  remoteAddress?: string | undefined
  remotePort?: number | undefined
  localAddress?: string | undefined
  localPort?: number | undefined
  /** Set on TLS sockets. */
  encrypted?: boolean
}

/**
 * The request a record stands for: an `IncomingMessage`, or a stand-in parsed from the bytes of a
 * request that the HTTP parser refused.
 */
export interface SourceRequest {
  method?: string | undefined
  url?: string | undefined
  httpVersion: string
  headers: IncomingHttpHeaders
  socket: SourceSocket | null
}
