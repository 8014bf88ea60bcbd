import type { Channel, ChannelStats } from '../../../lib/transport/types.js'
import type { ChannelSource } from '../../../lib/log/stream.js'

/** A channel that keeps its lines in memory, for unit tests of the log framework. */
export class MemoryChannel implements Channel {
  readonly lines: string[] = []
  /** While false, `log` drops lines (a full queue). */
  accepting = true
  private dropped = 0

  constructor (readonly name: string, readonly url = `memory:${name}`) {}

  log (line: string): boolean {
    if (!this.accepting) {
      this.dropped++
      return false
    }
    this.lines.push(line)
    return true
  }

  flush (): void {}

  stats (): ChannelStats {
    return { written: this.lines.length + this.dropped, sent: this.lines.length, queued: 0, dropped: { overflow: this.dropped, oversize: 0, closed: 0 }, bytesSent: 0, reconnects: 0, errors: 0, connected: true }
  }

  async close (): Promise<ChannelStats> {
    return this.stats()
  }
}

/** A transport stand-in over memory channels; `open` makes new ones on demand. */
export class MemoryChannels implements ChannelSource {
  readonly map = new Map<string, MemoryChannel>()
  readonly opened: string[] = []

  constructor (names: string[]) {
    for (const n of names) this.map.set(n, new MemoryChannel(n))
  }

  has (name: string): boolean {
    return this.map.has(name)
  }

  channel (name: string): MemoryChannel {
    const ch = this.map.get(name)
    if (ch === undefined) throw new Error(`no channel ${name}`)
    return ch
  }

  open (name: string, url: string): MemoryChannel {
    if (url.includes('unopenable')) throw new Error(`cannot open ${url}`)
    this.opened.push(url)
    const ch = new MemoryChannel(name, url)
    this.map.set(name, ch)
    return ch
  }

  lines (name: string): string[] {
    return this.channel(name).lines
  }
}
