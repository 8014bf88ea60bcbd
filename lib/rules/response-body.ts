import zlib from 'node:zlib'
import type { Transform } from 'node:stream'

/** The content-encodings a response body is decoded from for inspection. */
export type BodyEncoding = 'gzip' | 'deflate' | 'br'

/**
 * The encoding of a Content-Encoding value: undefined for none (`identity`), a BodyEncoding, or
 * `{ unsupported }` for one that is not decoded (zstd, compress, a list of several).
 */
export function bodyEncodingOf (value: string | undefined): BodyEncoding | undefined | { unsupported: string } {
  if (value === undefined) return undefined
  const v = value.trim().toLowerCase()
  if (v === '' || v === 'identity') return undefined
  if (v === 'gzip' || v === 'x-gzip') return 'gzip'
  if (v === 'deflate') return 'deflate'
  if (v === 'br') return 'br'
  return { unsupported: v }
}

/**
 * A response body read for phase 4: bytes as they are sent, decoded when compressed, kept up to
 * `limit + 1` bytes (one past the limit says the body was longer). Decoding is bounded: once the
 * output is full the decoder is destroyed, so a small compressed body that expands to gigabytes
 * costs no more than the limit. A body that does not decode is inspected as far as it decoded.
 */
export class ResponseBodyReader {
  private readonly chunks: Buffer[] = []
  /** Decoded bytes kept. */
  size = 0
  /** Bytes written (as sent: compressed when encoded). */
  written = 0
  /** Bytes the decoder produced, kept or not: bounded by the limit plus one decoder chunk. */
  decoded = 0
  /** Set once the body is known as far as it will be: it ended, the limit was passed, or decoding failed. */
  done = false
  /** Why decoding stopped early, if it did. */
  error: string | undefined = undefined
  private decoder: Transform | undefined = undefined
  private waiters: Array<() => void> = []

  constructor (readonly limit: number, readonly encoding: BodyEncoding | undefined) {}

  /** Whether more bytes are wanted. */
  get wanted (): boolean {
    return !this.done
  }

  /** Whether the body was longer than the limit. */
  get truncated (): boolean {
    return this.size > this.limit
  }

  write (chunk: Buffer): void {
    if (this.done || chunk.length === 0) return
    this.written += chunk.length
    if (this.encoding === undefined) {
      this.keep(chunk)
      return
    }
    if (this.decoder === undefined) this.decoder = this.makeDecoder(chunk)
    this.decoder.write(chunk)
  }

  end (): void {
    if (this.done) return
    if (this.decoder === undefined) this.finish()
    else this.decoder.end()
  }

  /** Calls `fn` once `done` (at once when it is). */
  whenDone (fn: () => void): void {
    if (this.done) fn()
    else this.waiters.push(fn)
  }

  /** The decoded bytes kept (up to limit + 1). */
  bytes (): Buffer {
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size)
  }

  /** Stops reading: what was kept is what is inspected. */
  finish (): void {
    if (this.done) return
    this.done = true
    const d = this.decoder
    if (d !== undefined) {
      d.removeAllListeners('data')
      d.destroy()
    }
    const w = this.waiters
    this.waiters = []
    for (const fn of w) fn()
  }

  private keep (chunk: Buffer): void {
    const room = this.limit + 1 - this.size
    // A copy: the chunk may be a view of a buffer its producer reuses.
    const kept = Buffer.from(chunk.length <= room ? chunk : chunk.subarray(0, room))
    this.chunks.push(kept)
    this.size += kept.length
    if (this.size > this.limit) this.finish()
  }

  private makeDecoder (first: Buffer): Transform {
    // Sync flush at the end: a body cut short still gives what it holds, without an error.
    const flush = { finishFlush: zlib.constants.Z_SYNC_FLUSH }
    let d: Transform
    if (this.encoding === 'gzip') d = zlib.createGunzip(flush)
    else if (this.encoding === 'br') d = zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH })
    else d = isZlibHeader(first) ? zlib.createInflate(flush) : zlib.createInflateRaw(flush)
    d.on('data', (out: Buffer) => {
      this.decoded += out.length
      if (!this.done) this.keep(out)
    })
    d.on('end', () => { this.finish() })
    d.on('error', (err: Error) => {
      this.error = err.message
      this.finish()
    })
    return d
  }
}

/**
 * `deflate` is meant to be a zlib stream (RFC 9110), but some servers send raw deflate: a zlib
 * stream starts with a CMF byte of method 8 and a header checksum divisible by 31.
 */
function isZlibHeader (b: Buffer): boolean {
  return b.length >= 2 && (b[0] & 0x0f) === 8 && ((b[0] << 8) | b[1]) % 31 === 0
}
