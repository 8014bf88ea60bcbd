import { PassThrough, Readable, Transform, pipeline } from 'node:stream'
import type { TransformCallback } from 'node:stream'
import type { RuleEngine } from './engine.js'
import { bodyEncodingOf, ResponseBodyReader } from './response-body.js'
import type { ResponseInput } from './response-data.js'
import { bodyInspected, hasBodyRules, logging, responseBody, responseHead } from './response.js'
import type { Transaction } from './transaction.js'

/**
 * What the response hook of a framework adapter runs on what a route sends: phase 3 on the
 * status and headers, phase 4 on the body (a string, a Buffer or a stream), then hands back what
 * to send. Detect mode never changes what the client receives: a stream goes on as it comes,
 * read on the way up to the limit. Block mode may replace the response while nothing has been
 * sent: a stream is held up to the limit (never more), inspected, and then replayed, or dropped
 * for the deny.
 */

/** The outcome: the payload to send, or the status of the deny that replaces the response. */
export interface InspectOutcome {
  payload: unknown
  /** Set when the response is to be replaced with a deny of this status. */
  deny: number | undefined
}

/** Per-request response state, beside the transaction (`tx.response` holds the variables). */
export class ResponseInspection {
  /** Phase 4 has run. */
  bodyDone = false
  /** A deny came when the response could not be replaced any more (headers sent): it was logged, not applied. */
  unapplied = false
  private reader: ResponseBodyReader | undefined = undefined
  /** The stream block mode is holding, until it is inspected (undefined once answered). */
  private held: Readable | undefined = undefined

  constructor (readonly engine: RuleEngine, readonly tx: Transaction) {}

  /**
   * Phases 3 and 4 on a response about to be sent. `replaceable`: nothing has been sent yet
   * (the headers are not out). Calls `done` once, possibly synchronously.
   */
  inspect (head: ResponseInput, payload: unknown, replaceable: boolean, done: (err: Error | null, out: InspectOutcome) => void): void {
    const { engine, tx } = this
    const length = typeof payload === 'string' ? Buffer.byteLength(payload) : Buffer.isBuffer(payload) ? payload.length : undefined
    const data = responseHead(engine, tx, length === undefined ? head : { ...head, length })
    if (this.denied(replaceable)) return done(null, { payload: discard(payload), deny: this.status() })
    const settings = engine.response
    if (!hasBodyRules(engine.ruleSet)) {
      this.bodyDone = true
      return done(null, { payload, deny: undefined })
    }
    const stream = payload instanceof Readable ? payload : undefined
    const encoding = bodyEncodingOf(data.header('content-encoding'))
    if (!bodyInspected(settings, data) || (stream === undefined && length === undefined)) {
      this.runBody(undefined)
      return this.settle(payload, replaceable, done)
    }
    if (encoding !== undefined && typeof encoding === 'object') {
      this.runBody(undefined, encoding.unsupported)
      return this.settle(payload, replaceable, done)
    }
    const reader = this.reader = new ResponseBodyReader(settings.bodyBytes, encoding)
    if (stream === undefined) {
      reader.write(typeof payload === 'string' ? Buffer.from(payload) : payload as Buffer)
      reader.end()
      reader.whenDone(() => {
        this.runBody(reader)
        this.settle(payload, replaceable, done)
      })
      return
    }
    if (replaceable && tx.mode === 'block') return this.hold(stream, reader, done)
    done(null, { payload: this.tap(stream, reader), deny: undefined })
  }

  /** Phase 4 on what was read, if it has not run (a stream the client left before its end); then phase 5. */
  finish (): void {
    // The client left while block mode held the body: nothing will read the source any more.
    const held = this.held
    this.held = undefined
    if (held !== undefined) held.destroy()
    if (!this.bodyDone && this.tx.response !== undefined) this.runBody(this.reader)
    logging(this.engine, this.tx)
  }

  private denied (replaceable: boolean): boolean {
    if (this.tx.interrupted === undefined) return false
    if (replaceable) return true
    this.unapplied = true
    return false
  }

  private status (): number {
    return this.tx.interrupted?.status ?? this.engine.denyStatus
  }

  private settle (payload: unknown, replaceable: boolean, done: (err: Error | null, out: InspectOutcome) => void): void {
    if (this.denied(replaceable)) done(null, { payload: discard(payload), deny: this.status() })
    else done(null, { payload, deny: undefined })
  }

  private runBody (reader: ResponseBodyReader | undefined, unsupported?: string): void {
    if (this.bodyDone) return
    this.bodyDone = true
    const o: { encoding?: string, total?: number, decoded?: boolean } = {}
    if (reader?.encoding !== undefined && reader.error === undefined) o.decoded = true
    if (unsupported !== undefined) o.encoding = unsupported
    else if (reader?.error !== undefined) o.encoding = `${reader.encoding ?? ''} that does not decode (${reader.error})`
    const length = Number(this.tx.response?.contentLength)
    if (reader !== undefined && reader.encoding === undefined && Number.isSafeInteger(length)) o.total = length
    responseBody(this.engine, this.tx, this.engine.response, reader === undefined ? undefined : reader.bytes(), o)
  }

  /** Detect mode (or headers already out): the stream goes on unchanged, read on the way. */
  private tap (stream: Readable, reader: ResponseBodyReader): Readable {
    const self = this
    const tap = new Transform({
      transform (chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
        if (reader.wanted) {
          reader.write(chunk)
          if (reader.done) self.runBody(reader)
        }
        cb(null, chunk)
      },
      flush (cb: TransformCallback) {
        reader.end()
        // A compressed body decodes asynchronously: the stream ends once phase 4 has run on it.
        reader.whenDone(() => {
          self.runBody(reader)
          if (self.tx.interrupted !== undefined) self.unapplied = true
          cb()
        })
      }
    })
    pipeline(stream, tap, () => {})
    return tap
  }

  /** Block mode: read up to the limit, inspect, then replay what was held and pass the rest, or deny. */
  private hold (stream: Readable, reader: ResponseBodyReader, done: (err: Error | null, out: InspectOutcome) => void): void {
    const held: Buffer[] = []
    let heldBytes = 0
    let ended = false
    let answered = false
    const limit = reader.limit
    this.held = stream
    const answer = (): void => {
      if (answered) return
      answered = true
      this.held = undefined
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('error', onError)
      stream.pause()
      this.runBody(reader)
      if (this.tx.interrupted !== undefined) {
        stream.destroy()
        return done(null, { payload: undefined, deny: this.status() })
      }
      const out = new PassThrough()
      for (const b of held) out.write(b)
      if (ended) out.end()
      else pipeline(stream, out, () => {})
      done(null, { payload: out, deny: undefined })
    }
    const onData = (chunk: Buffer): void => {
      held.push(chunk)
      heldBytes += chunk.length
      reader.write(chunk)
      // Never more than the limit held: compressed bytes count too, whatever they decode to.
      if (heldBytes > limit) reader.finish()
    }
    const onEnd = (): void => {
      ended = true
      reader.end()
    }
    const onError = (err: Error): void => {
      if (answered) return
      answered = true
      this.held = undefined
      reader.finish()
      done(err, { payload: undefined, deny: undefined })
    }
    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', onError)
    reader.whenDone(answer)
  }
}

/** A payload that will not be sent: a stream is destroyed, so its source (an upstream socket) is freed. */
function discard (payload: unknown): undefined {
  if (payload instanceof Readable) payload.destroy()
  return undefined
}
