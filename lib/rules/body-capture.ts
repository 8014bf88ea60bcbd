import { Transform } from 'node:stream'
import type { Readable, TransformCallback } from 'node:stream'

/**
 * The raw bytes of a request body, kept for the rule check up to a limit: copied as the
 * framework's parser reads them (so that the check still sees a body the parser rejects, and
 * REQUEST_BODY is the body as sent), or read by the check itself when nothing else reads it
 * (Fastify reads no body for GET, HEAD and TRACE, while ModSecurity inspects one).
 */
export class BodyCapture {
  private readonly chunks: Buffer[] = []
  /** Bytes kept. */
  size = 0
  /** Bytes seen (more than `size` when the body was longer than the limit). */
  seen = 0
  ended = false
  private waiter: (() => void) | undefined = undefined

  constructor (readonly limit: number) {}

  add (chunk: Buffer): void {
    this.seen += chunk.length
    const room = this.limit - this.size
    if (room <= 0) return
    // A copy: the chunk may be a view of a buffer the socket reuses.
    const kept = Buffer.from(chunk.length <= room ? chunk : chunk.subarray(0, room))
    this.chunks.push(kept)
    this.size += kept.length
  }

  end (): void {
    if (this.ended) return
    this.ended = true
    const w = this.waiter
    this.waiter = undefined
    if (w !== undefined) w()
  }

  /** Calls `fn` once the body has ended (at once when it has). One waiter at a time. */
  whenEnded (fn: () => void): void {
    if (this.ended) fn()
    else this.waiter = fn
  }

  /** The bytes kept. */
  bytes (): Buffer {
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size)
  }
}

/** Passes a body through to the framework's parser, unchanged and with its backpressure, keeping a copy. */
class BodyTee extends Transform {
  constructor (private readonly capture: BodyCapture) {
    super()
  }

  override _transform (chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.capture.add(chunk)
    callback(null, chunk)
  }

  override _flush (callback: TransformCallback): void {
    this.capture.end()
    callback()
  }
}

/** The stream to hand the parser instead of `payload`: the same bytes, copied into `capture` on the way. */
export function teeBody (payload: Readable, capture: BodyCapture): Readable {
  const tee = new BodyTee(capture)
  payload.once('error', err => {
    capture.end()
    tee.destroy(err)
  })
  payload.pipe(tee)
  return tee
}

/**
 * Reads a body nothing else will read, up to the capture's limit; past it the rest is let go
 * (the stream drains without being kept), so a huge body costs no memory.
 */
export function readBody (payload: Readable, capture: BodyCapture): void {
  const stop = (): void => {
    payload.removeListener('data', onData)
    payload.removeListener('end', stop)
    payload.removeListener('error', stop)
    capture.end()
    payload.resume()
  }
  const onData = (chunk: Buffer): void => {
    capture.add(chunk)
    if (capture.seen > capture.limit) stop()
  }
  payload.on('data', onData)
  payload.on('end', stop)
  payload.on('error', stop)
}
