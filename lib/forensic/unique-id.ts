import { randomBytes } from 'node:crypto'

/**
 * Request ids laid out like httpd's mod_unique_id: 4-byte time (seconds), 10 random bytes
 * drawn once per process, a 2-byte counter and a 4-byte sequence, 20 bytes in all, written as
 * 27 characters of unpadded base64url. The random root keeps ids from different processes and
 * machines apart; the counter and sequence keep ids of one process apart, 2^48 of them before
 * the pair wraps, which no process reaches within one second.
 */
export const UNIQUE_ID_LENGTH = 27

export class UniqueIdGenerator {
  private readonly buf = Buffer.allocUnsafe(20)
  private counter: number
  private sequence = 0

  constructor (root: Buffer = randomBytes(10)) {
    if (root.length !== 10) throw new TypeError('unique id root must be 10 bytes')
    root.copy(this.buf, 4)
    // A random start makes ids from two generators that share a root (a fork) still unlikely to meet.
    this.counter = randomBytes(2).readUInt16BE(0)
  }

  next (nowMs: number = Date.now()): string {
    const buf = this.buf
    buf.writeUInt32BE((nowMs / 1000) >>> 0, 0)
    this.counter = (this.counter + 1) & 0xffff
    if (this.counter === 0) this.sequence = (this.sequence + 1) >>> 0
    buf.writeUInt16BE(this.counter, 14)
    buf.writeUInt32BE(this.sequence, 16)
    return buf.toString('base64url')
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
