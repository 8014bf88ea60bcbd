import { open, rename, stat } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { Backoff } from './backoff.js'
import type { ChannelConfig } from './options.js'
import { BatchSink, MAX_WRITE_BYTES } from './sink.js'
import type { Write } from './sink.js'

const gzip = promisify(zlib.gzip) as (data: string, opts: zlib.ZlibOptions) => Promise<Buffer>

/**
 * `file:///path` — appends batches like nginx `access_log … buffer= flush= gzip=`:
 * - `flushLimit` is nginx's `buffer=`, `flushInterval` its `flush=`;
 * - with `gzip`, every batch is one complete gzip member written with one write, so `zcat`
 *   reads the file at any moment (gzip readers concatenate members);
 * - `rotate` (Zeek-like): at every whole multiple of `interval` and/or before a write would take
 *   the file past `size`, the file is renamed to `name.YYYY-MM-DD-HH-MM-SS.ext` (UTC, the time it
 *   was opened) and a new one is started. Empty files are not rotated.
 * A file that cannot be opened or written is retried with backoff; its lines stay queued.
 * `reopen()` is nginx's `kill -USR1` for logrotate: what is queued when it is called goes to the
 * file already open (renamed aside by then), and every later write to a file opened anew at the
 * path. Writes are never split across the two, so no line is lost or written twice.
 */
export class FileSink extends BatchSink {
  private fh: FileHandle | null = null
  private size = 0
  private openedAt = 0
  private running = false
  private closed = false
  private rotateDue = false
  /** Set by reopen(): the lines queued then go to the old file, then the path is opened again. */
  private reopenDue = false
  private reopenWaiters: Array<() => void> = []
  private rotateTimer: NodeJS.Timeout | null = null
  private retryTimer: NodeJS.Timeout | null = null
  private readonly backoff: Backoff
  private idle: Promise<void> = Promise.resolve()
  /** With size rotation a batch never spans more than one file's worth. */
  private readonly maxBatch: number

  constructor (private readonly cfg: ChannelConfig, private readonly file: string) {
    super()
    this.backoff = new Backoff(cfg.retry)
    this.maxBatch = Math.min(MAX_WRITE_BYTES, cfg.rotate?.size ?? MAX_WRITE_BYTES)
    if (cfg.rotate?.interval !== undefined) this.armRotation(cfg.rotate.interval)
  }

  get connected (): boolean {
    return this.fh !== null
  }

  kick (): void {
    if (this.running || this.closed || this.retryTimer !== null) return
    this.idle = this.run()
  }

  private async run (): Promise<void> {
    this.running = true
    try {
      for (;;) {
        if (this.fh === null) {
          // A failed write closed the file: the next open is a fresh one, which is what reopen asks.
          if (this.reopenDue) this.reopened()
          if (!this.anyWaiting()) break
          await this.openFile()
        }
        if (this.rotateDue) {
          await this.rotate()
          continue
        }
        if (!this.takeNext(this.maxBatch)) {
          if (this.reopenDue) {
            await this.reopenFile()
            continue
          }
          break
        }
        const b = this.inflight as Write | null
        if (b === null) break
        const buf = this.cfg.gzip === undefined ? Buffer.from(b.data, 'utf8') : await gzip(b.data, { level: this.cfg.gzip })
        const limit = this.cfg.rotate?.size
        if (limit !== undefined && this.size > 0 && this.size + buf.length > limit) await this.rotate()
        await writeAll(this.fh as unknown as FileHandle, buf)
        this.size += buf.length
        this.settle(true)
        this.backoff.reset()
      }
    } catch (err) {
      if (this.inflight !== null) this.settle(false)
      this.eachError(err)
      await this.closeFile()
      if (!this.closed) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null
          this.kick()
        }, this.backoff.next())
      }
    } finally {
      this.running = false
    }
  }

  private async openFile (): Promise<void> {
    const fh = await open(this.file, 'a')
    try {
      const st = await fh.stat()
      this.size = st.size
      this.openedAt = st.size > 0 && st.birthtimeMs > 0 ? Math.min(st.birthtimeMs, Date.now()) : Date.now()
    } catch (err) {
      await fh.close().catch(noop)
      throw err
    }
    this.fh = fh
  }

  /**
   * Writes what is queued now to the file open now, then opens the path anew (logrotate has
   * renamed the old file aside, or removed it). Resolves once the new file is open, or at once
   * when no file is open: the next write opens the path anyway.
   */
  reopen (): Promise<void> {
    if (this.closed || this.fh === null) return Promise.resolve()
    this.reopenDue = true
    // Every line queued by now belongs to the old file: ask for all of it to be written.
    for (const m of this.members) if (m.queue.waiting()) m.queue.flushWanted = true
    const done = new Promise<void>(resolve => { this.reopenWaiters.push(resolve) })
    this.kick()
    return done
  }

  private async reopenFile (): Promise<void> {
    try {
      await this.closeFile()
      await this.openFile()
    } finally {
      this.reopened()
    }
  }

  private reopened (): void {
    this.reopenDue = false
    for (const w of this.reopenWaiters.splice(0)) w()
  }

  private async closeFile (): Promise<void> {
    const fh = this.fh
    this.fh = null
    if (fh !== null) await fh.close().catch(noop)
  }

  /** Renames the current file aside and opens a new one. */
  private async rotate (): Promise<void> {
    this.rotateDue = false
    if (this.fh === null || this.size === 0) return
    await this.closeFile()
    await rename(this.file, await this.rotatedName(this.openedAt))
    await this.openFile()
  }

  private async rotatedName (openedAt: number): Promise<string> {
    const dir = path.dirname(this.file)
    const base = path.basename(this.file)
    const dot = base.indexOf('.', 1)
    const stem = dot > 0 ? base.slice(0, dot) : base
    const ext = dot > 0 ? base.slice(dot) : ''
    const stamp = new Date(openedAt).toISOString().slice(0, 19).replace(/[T:]/g, '-')
    for (let n = 0; ; n++) {
      const candidate = path.join(dir, `${stem}.${stamp}${n === 0 ? '' : `-${n}`}${ext}`)
      try {
        await stat(candidate)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return candidate
        throw err
      }
    }
  }

  private armRotation (interval: number): void {
    const wait = interval - (Date.now() % interval)
    this.rotateTimer = setTimeout(() => {
      this.rotateTimer = null
      if (this.closed) return
      if (this.size > 0) {
        this.rotateDue = true
        this.kick()
      }
      this.armRotation(interval)
    }, wait)
    this.rotateTimer.unref()
  }

  protected async finish (): Promise<void> {
    this.closed = true
    if (this.rotateTimer !== null) clearTimeout(this.rotateTimer)
    if (this.retryTimer !== null) clearTimeout(this.retryTimer)
    this.rotateTimer = null
    this.retryTimer = null
    await this.idle.catch(noop)
    await this.closeFile()
    this.reopened()
  }
}

async function writeAll (fh: FileHandle, buf: Buffer): Promise<void> {
  let off = 0
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off)
    off += bytesWritten
  }
}

function noop (): void {}
