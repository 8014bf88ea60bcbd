import { isIPv4, isIPv6 } from 'node:net'

/**
 * `@ipMatch 127.0.0.1,10.0.0.0/8,::1`: matches when the value (REMOTE_ADDR) is one of the
 * addresses or inside one of the CIDR blocks. IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`,
 * which Node reports for dual-stack sockets) match their IPv4 form.
 */
export function compileIpMatch (argument: string): (value: string) => boolean {
  const blocks: Array<{ bits: bigint, mask: bigint, v6: boolean }> = []
  for (const raw of argument.split(/[,\s]+/)) {
    if (raw.length === 0) continue
    const [addr, len] = raw.split('/') as [string, string | undefined]
    const v6 = isIPv6(addr)
    if (!v6 && !isIPv4(addr)) throw new Error(`invalid IP address "${raw}"`)
    const width = v6 ? 128 : 32
    const prefix = len === undefined ? width : Number(len)
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > width) throw new Error(`invalid prefix length in "${raw}"`)
    const mask = prefix === 0 ? 0n : ((1n << BigInt(width)) - 1n) ^ ((1n << BigInt(width - prefix)) - 1n)
    blocks.push({ bits: toBits(addr, v6) & mask, mask, v6 })
  }
  if (blocks.length === 0) throw new Error('no address given')
  // REMOTE_ADDR repeats from request to request: answers are remembered (a bounded number).
  const known = new Map<string, boolean>()
  return (value: string): boolean => {
    let hit = known.get(value)
    if (hit === undefined) {
      hit = test(value)
      if (known.size >= MAX_KNOWN) known.clear()
      known.set(value, hit)
    }
    return hit
  }
  function test (value: string): boolean {
    let addr = value.trim()
    if (addr.toLowerCase().startsWith('::ffff:') && isIPv4(addr.slice(7))) addr = addr.slice(7)
    const v6 = isIPv6(addr)
    if (!v6 && !isIPv4(addr)) return false
    const bits = toBits(addr, v6)
    for (const b of blocks) if (b.v6 === v6 && (bits & b.mask) === b.bits) return true
    return false
  }
}

const MAX_KNOWN = 4096

function toBits (addr: string, v6: boolean): bigint {
  if (!v6) return addr.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n)
  let s = addr
  const zone = s.indexOf('%')
  if (zone !== -1) s = s.slice(0, zone)
  // An embedded IPv4 tail (`::ffff:1.2.3.4`) becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s)
  if (v4 !== null) {
    const n = Number(toBits(v4[1]!, false))
    s = s.slice(0, -v4[1]!.length) + ((n >>> 16) & 0xffff).toString(16) + ':' + (n & 0xffff).toString(16)
  }
  const [head, tail] = s.includes('::') ? s.split('::') as [string, string] : [s, undefined]
  const h = head.length === 0 ? [] : head.split(':')
  const t = tail === undefined || tail.length === 0 ? [] : tail.split(':')
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t]
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n)
}
