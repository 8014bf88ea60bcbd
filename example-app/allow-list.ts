import { BlockList, isIPv4, isIPv6 } from 'node:net'

/**
 * Who may reach the gateway's own endpoints (status, metrics): addresses and CIDR ranges, IPv4
 * and IPv6, held in a node:net BlockList. An IPv4 client seen on an IPv6 socket
 * (`::ffff:127.0.0.1`) matches the IPv4 entries.
 */
export class AllowList {
  private readonly list = new BlockList()

  /** Throws a RangeError naming the entry that is neither an address nor a CIDR range. */
  constructor (readonly entries: readonly string[], setting: string) {
    for (const entry of entries) {
      const slash = entry.indexOf('/')
      const addr = slash === -1 ? entry : entry.slice(0, slash)
      const family = isIPv4(addr) ? 'ipv4' : isIPv6(addr) ? 'ipv6' : undefined
      const bits = slash === -1 ? undefined : Number(entry.slice(slash + 1))
      const max = family === 'ipv4' ? 32 : 128
      if (family === undefined || (bits !== undefined && (!Number.isInteger(bits) || bits < 0 || bits > max || entry.slice(slash + 1) === ''))) {
        throw new RangeError(`"${setting}": ${JSON.stringify(entry)} is neither an IP address nor a CIDR range (such as 10.0.0.0/8 or fd00::/8)`)
      }
      if (bits === undefined) this.list.addAddress(addr, family)
      else this.list.addSubnet(addr, bits, family)
    }
  }

  allows (addr: string | undefined): boolean {
    if (addr === undefined) return false
    if (isIPv4(addr)) return this.list.check(addr, 'ipv4')
    if (!isIPv6(addr)) return false
    if (this.list.check(addr, 'ipv6')) return true
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr)
    return mapped !== null && this.list.check(mapped[1], 'ipv4')
  }
}
