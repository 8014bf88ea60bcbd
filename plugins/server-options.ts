import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'
import { STATUS_CODES } from 'node:http'
import type { Server as HttpServer } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { Http2SecureServer, Http2Server } from 'node:http2'
import type { Socket } from 'node:net'
import { LINGER_MS, TIMEOUT_BODY, refusedResponse, refusedStatus } from '../lib/lifecycle/refused.js'
import type { ParserError } from '../lib/lifecycle/refused.js'
import { kLifecycle } from '../lib/lifecycle/requests.js'
import type { RequestLifecycle } from '../lib/lifecycle/requests.js'

type WafCore = RequestLifecycle<FastifyRequest, FastifyReply>

type Handlers<Server extends HttpServer | HttpsServer | Http2Server | Http2SecureServer> = Pick<FastifyServerOptions<Server>, 'frameworkErrors' | 'clientErrorHandler'>

/**
 * `wafServerOptions()`: the handlers typed for each server Fastify makes (HTTP, HTTPS, HTTP/2
 * with and without TLS), so that they spread beside `http2: true` or `https` alike. The handlers
 * read only what the four have in common.
 */
// HTTP last: `.call` and `.apply` on an overloaded function take its last signature, the default server's.
export type WafServerOptions = Handlers<Http2SecureServer> & Handlers<Http2Server> & Handlers<HttpsServer> & Handlers<HttpServer>

/** On a socket whose request was refused (answered by the client-error handler). */
const kRefused = Symbol('waf.refused')

function lingerThenClose (socket: Socket): void {
  setTimeout(() => socket.destroy(), LINGER_MS).unref()
}

function coreOfServer (app: FastifyInstance): WafCore | undefined {
  return (app as FastifyInstance & { [kLifecycle]?: WafCore })[kLifecycle]
}

/**
 * Answers 408 to a request whose body stopped arriving (nginx `client_body_timeout`), through its
 * reply, so that it is logged and counted once like any request; the connection closes after it.
 */
export function answerRequestTimeout (reply: FastifyReply): void {
  if (reply.sent) return
  // HTTP/2 has no Connection field: the stream ends with the answer, the session stays.
  if (reply.request.raw.httpVersionMajor >= 2) {
    void reply.code(408).header('content-type', 'application/json').send(TIMEOUT_BODY)
    return
  }
  const socket = reply.raw.socket
  void reply.code(408).header('connection', 'close').header('content-type', 'application/json').send(TIMEOUT_BODY)
  if (socket != null) lingerThenClose(socket)
}

/**
 * Fastify constructor options that route requests Fastify rejects before any hook runs through the
 * waf plugins, so that they are logged like any other: a malformed URL (400), a too-long
 * parameter (414) and, at the connection level, requests the HTTP parser refuses.
 *
 * ```ts
 * const app = Fastify({ ...wafServerOptions() })
 * const h2 = Fastify({ http2: true, https: { key, cert, allowHTTP1: true }, ...wafServerOptions() })
 * ```
 */
export function wafServerOptions (): WafServerOptions {
  const options: Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler'> = {
    frameworkErrors (err, request, reply) {
      const core = coreOfServer(request.server)
      const status = (err as { statusCode?: number }).statusCode ?? 400
      // Joining lines the request up for departure when its response closes.
      if (core !== undefined) core.join(core.enlisted, request, reply, null)
      void (reply as FastifyReply).code(status).send({ error: STATUS_CODES[status] ?? 'Bad Request', message: err.message, statusCode: status })
    },
    clientErrorHandler (this: FastifyInstance, connErr: Error, socket: Socket) {
      const err = connErr as ParserError
      if (err.code === 'ECONNRESET' || socket.destroyed) {
        socket.destroy(err)
        return
      }
      // The connection was refused already: what the parser makes of the bytes (or the FIN)
      // that follow is no request of its own, and is neither answered nor logged again.
      const marked = socket as Socket & { [kRefused]?: true }
      if (marked[kRefused] === true) return
      marked[kRefused] = true
      const core = coreOfServer(this)
      const status = refusedStatus(err.code)
      const stalled = status === 408 && core !== undefined ? core.replyOfStalledRequest(socket) : undefined
      if (stalled !== undefined) {
        // A body that stopped arriving: its request is answered and logged as itself.
        answerRequestTimeout(stalled)
        return
      }
      const respond = (lines: string): string => refusedResponse(status, lines)
      const response = core !== undefined && !core.bodyErrorOfRequestInFlight(socket) ? core.clientError(err, socket, status, respond) : respond('')
      // Responses of earlier requests on this connection may still be pending. As Node does,
      // answer only if none has started, and close at once (the rare path: Node keeps the
      // socket's current response only in this field).
      const pending = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage
      if (pending != null) {
        if (socket.writable && pending.headersSent !== true) socket.write(response)
        socket.destroy()
        return
      }
      socket.end(response)
      // After a parser error the parser reads nothing more: the connection lingers. After a
      // head timeout it would go on and make a request of the late bytes: closed once written.
      if (status === 408) socket.destroySoon()
      else lingerThenClose(socket)
    }
  }
  // One implementation for the four servers (see WafServerOptions).
  return options as WafServerOptions
}
