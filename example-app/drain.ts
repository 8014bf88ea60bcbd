import { Server as NetServer } from 'node:net'
import type { FastifyInstance } from 'fastify'

/**
 * How the gateway stops (a reload's old workers, SIGTERM): it stops accepting at once, answers
 * every request already sent or still sent on an open connection (Fastify adds `Connection:
 * close` to them while closing, so the client goes elsewhere for the next), and closes a
 * keep-alive connection that stays idle only after `idleGraceMs`. Node's own `server.close()`
 * closes idle connections at once, and a client that sent a request on one at that moment
 * would see it reset: under load that is a failed request on every reload.
 */
export function drainGracefully (app: FastifyInstance, idleGraceMs: number): void {
  app.addHook('preClose', function drainConnections (done) {
    const server = app.server
    if (!server.listening) return done()
    const reap = setInterval(() => server.closeIdleConnections(), idleGraceMs)
    // net.Server's close: no new connections (in a cluster worker, the primary stops handing it
    // any), and the callback runs once every open connection has ended. Fastify's own close of
    // the server comes after this hook and finds it closed.
    NetServer.prototype.close.call(server, () => {
      clearInterval(reap)
      done()
    })
  })
}

