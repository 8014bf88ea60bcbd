import type { Server as NetServer, Socket } from 'node:net'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Http2Session } from 'node:http2'
import type { FastifyInstance } from 'fastify'

/**
 * A graceful close for the HTTP/2 server (`listen.http2`), which Node < 24 does not give: Fastify's
 * `forceCloseConnections: 'idle'` needs `closeIdleConnections`, which only HTTP/1 servers have.
 * On close, every HTTP/2 session gets a GOAWAY (its open streams finish, no new ones start) and
 * every HTTP/1.1 connection (the ALPN fallback) is closed once it holds no request in flight.
 */

const kInFlight = Symbol('gateway.inFlight')

type TrackedSocket = Socket & { [kInFlight]?: number }

export function closeGracefullyOnHttp2 (app: FastifyInstance): void {
  const server = app.server as unknown as NetServer
  const sessions = new Set<Http2Session>()
  const http1 = new Set<TrackedSocket>()
  let closing = false
  server.on('session', (session: Http2Session) => {
    sessions.add(session)
    session.once('close', () => sessions.delete(session))
  })
  const track = (socket: TrackedSocket): void => {
    if (http1.has(socket)) return
    http1.add(socket)
    socket.once('close', () => http1.delete(socket))
  }
  // A TLS connection that chose HTTP/1.1 (or nothing) through ALPN, even before its first request.
  server.on('secureConnection', (socket: Socket & { alpnProtocol?: string | false }) => {
    if (socket.alpnProtocol !== 'h2') track(socket)
  })
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.httpVersionMajor === 2) return
    const socket = req.socket as TrackedSocket
    track(socket)
    socket[kInFlight] = (socket[kInFlight] ?? 0) + 1
    if (closing) res.shouldKeepAlive = false
    res.once('close', () => {
      socket[kInFlight] = (socket[kInFlight] ?? 1) - 1
      if (closing && socket[kInFlight] === 0) socket.end()
    })
  })
  app.addHook('preClose', done => {
    closing = true
    for (const s of sessions) s.close()
    for (const s of http1) if ((s[kInFlight] ?? 0) === 0) s.end()
    done()
  })
}
