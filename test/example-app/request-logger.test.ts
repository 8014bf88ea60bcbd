import t from 'tap'
import Fastify from 'fastify'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { deferredChildLogger } from '../../example-app/request-logger.js'

/**
 * The gateway's deferred child logger against pino's own children: the same app, with and without
 * the factory, asked the same requests, writes the same lines (time aside), and a request that
 * writes nothing makes no pino child.
 */

type Line = Record<string, unknown>

/** Routes that write at every level, in each of pino's call forms, through request.log and reply.log. */
function routes (app: FastifyInstance): void {
  app.get('/quiet', async () => 'quiet')
  app.get('/levels', async (request, reply) => {
    request.log.fatal('fatal %s', 'formatted')
    request.log.error({ a: 1 }, 'error with %d', 2)
    request.log.warn({ nested: { b: [1, 2] } })
    request.log.info('info is below warn')
    request.log.debug({ c: 3 }, 'debug')
    request.log.trace('trace')
    reply.log.warn(new Error('an error object'), 'with a message')
    reply.log.error('plain')
    return { level: request.log.level }
  })
  app.get('/child', async request => {
    const child = request.log.child({ part: 'inner' }, { level: 'info' })
    child.info('inner info')
    request.log.warn('outer warn')
    return 'child'
  })
  app.get('/own-level', { logLevel: 'info' }, async request => {
    request.log.info('own level')
    return 'own'
  })
  app.get('/fails', async () => { throw new Error('handler failed') })
  app.get('/set-level', async request => {
    request.log.level = 'debug'
    request.log.debug('now at debug')
    return 'set'
  })
}

async function linesOf (deferred: boolean): Promise<Line[]> {
  const lines: Line[] = []
  const app = Fastify({
    logger: { level: 'warn', stream: { write: (s: string) => { lines.push(JSON.parse(s) as Line) } } },
    ...(deferred ? { childLoggerFactory: deferredChildLogger } : {})
  })
  routes(app)
  for (const url of ['/quiet', '/levels', '/child', '/own-level', '/fails', '/set-level', '/none', '/levels']) {
    const res = await app.inject({ url })
    lines.push({ url, status: res.statusCode, body: res.body })
  }
  await app.close()
  for (const l of lines) {
    delete l.time
    delete l.responseTime
    if (typeof l.err === 'object' && l.err !== null) delete (l.err as Line).stack
  }
  return lines
}

t.test('the deferred child writes the lines pino\'s child writes', async t => {
  const expected = await linesOf(false)
  const got = await linesOf(true)
  t.ok(expected.some(l => l.msg === 'error with 2' && l.reqId !== undefined), 'the corpus has request lines with their reqId')
  t.ok(expected.some(l => l.msg === 'handler failed' || (l.err as Line | undefined)?.message === 'handler failed'), 'and Fastify\'s own error line')
  t.same(got, expected)
})

t.test('a request that writes nothing makes no pino child; one that writes makes one', async t => {
  let children = 0
  // Fastify's logger, seen through a proxy that counts the children made of it.
  const counted = (logger: FastifyBaseLogger): FastifyBaseLogger => new Proxy(logger, {
    get (target, key, receiver) {
      if (key === 'child') return (...args: Parameters<FastifyBaseLogger['child']>) => { children++; return target.child(...args) }
      return Reflect.get(target, key, receiver) as unknown
    }
  })
  const app = Fastify({
    logger: { level: 'warn', stream: { write: () => {} } },
    childLoggerFactory: function (logger, bindings, options, raw) { return deferredChildLogger.call(this, counted(logger), bindings, options, raw) }
  })
  routes(app)
  await app.ready()
  children = 0
  const quiet = await app.inject({ url: '/quiet' })
  t.equal(quiet.statusCode, 200)
  t.equal(children, 0, 'quiet request')
  await app.inject({ url: '/levels' })
  t.equal(children, 1, 'one child for a request with several lines')
  await app.inject({ url: '/own-level' })
  t.equal(children, 2, 'a route with its own level gets pino\'s child at once')
  await app.close()
})
