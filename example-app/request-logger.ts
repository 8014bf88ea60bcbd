import type { FastifyBaseLogger, FastifyLogFn, FastifyServerOptions } from 'fastify'

/**
 * The gateway's per-request logger, made only when a line is written. Fastify gives every request a
 * child of its logger carrying the request id (`reqId`); with the gateway's `warn` level almost no
 * request writes a line, yet pino built each child (its bindings serialized, its own object) for
 * every request. The child here is a small stand-in: a level that is off returns at once, as pino's
 * own method would, and the first line of a level that is on makes pino's child with the same
 * bindings and options, so every line written is the line pino's child writes.
 */

type Bindings = Parameters<FastifyBaseLogger['child']>[0]
type ChildLoggerOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'

/** pino's loggers answer this; a logger that does not gets Fastify's own children. */
interface LevelAware extends FastifyBaseLogger { isLevelEnabled: (level: string) => boolean }

function isLevelAware (logger: FastifyBaseLogger): logger is LevelAware {
  return typeof (logger as Partial<LevelAware>).isLevelEnabled === 'function'
}

class DeferredChildLogger {
  /** pino's child, once made: from then on it decides, with its own level. */
  pinoChild: FastifyBaseLogger | undefined
  constructor (readonly parent: LevelAware, readonly bindings: Bindings, readonly options: ChildLoggerOptions) {}

  made (): FastifyBaseLogger {
    this.pinoChild ??= this.parent.child(this.bindings, this.options)
    return this.pinoChild
  }

  get level (): string { return this.pinoChild === undefined ? this.parent.level : this.pinoChild.level }
  set level (level: string) { this.made().level = level }

  child (bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.made().child(bindings, options)
  }

  silent (): void {}
}

interface DeferredChildLogger extends Pick<FastifyBaseLogger, Level> {}

function deferredMethod (level: Level): FastifyLogFn {
  // Until a child is made it has no level of its own: the parent's decides, as it does for pino's
  // child. `arguments` is only read by index, so that V8 allocates no array for a line not written
  // (a rest parameter cost 32 bytes on each of Fastify's two `info` calls of every request).
  return function log (this: DeferredChildLogger): void {
    let child = this.pinoChild
    if (child === undefined) {
      if (!this.parent.isLevelEnabled(level)) return
      child = this.made()
    }
    const args: unknown[] = []
    for (let i = 0; i < arguments.length; i++) args.push(arguments[i])
    Reflect.apply(child[level], child, args)
  } as FastifyLogFn
}

for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const) DeferredChildLogger.prototype[level] = deferredMethod(level)

/**
 * Fastify's `childLoggerFactory`: a deferred child for the usual request; pino's child at once for
 * a route with a level or serializers of its own (a child's own level is pino's to keep).
 */
export const deferredChildLogger: NonNullable<FastifyServerOptions['childLoggerFactory']> = function deferredChildLogger (logger, bindings, options) {
  if (!isLevelAware(logger) || options.level !== undefined || options.serializers !== undefined) return logger.child(bindings, options)
  return new DeferredChildLogger(logger, bindings, options) as unknown as FastifyBaseLogger
}
