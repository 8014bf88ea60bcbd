import { connect } from 'node:net'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import pino from 'pino'

/**
 * Bare Fastify hello world, the baseline every suite ratio is taken against. With `logger: true`
 * it is Fastify's own pino request logging, to /dev/null through pino's asynchronous destination.
 * With `writeTo` (a collector's tcp:// URL) each request writes `bytes` of one constant line to
 * that collector in its `onResponse` hook, nothing else: the least that any logger which puts a
 * request's lines on a TCP connection in the request's own event-loop turn pays (one `write`
 * system call per request at a fixed rate), the floor under the logging suite's row.
 */
export async function build (args: { logger?: boolean, writeTo?: string, bytes?: number }): Promise<FastifyInstance> {
  const app: FastifyInstance = args.logger === true
    ? Fastify({ loggerInstance: pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false })) }) as unknown as FastifyInstance
    : Fastify()
  if (args.writeTo !== undefined) {
    const { hostname, port } = new URL(args.writeTo)
    const socket = connect({ host: hostname, port: Number(port) })
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
    const line = 'x'.repeat(Math.max(0, (args.bytes ?? 740) - 1)) + '\n'
    app.addHook('onResponse', (_request, _reply, done) => {
      socket.write(line)
      done()
    })
    app.addHook('onClose', (_app, done) => { socket.end(done) })
  }
  app.get('/', async () => ({ hello: 'world' }))
  return app
}
