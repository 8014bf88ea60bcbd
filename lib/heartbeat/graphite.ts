import { COUNTER_NAMES, DomainCounters, counterValues } from './counters.js'
import type { IntervalCounts } from './counters.js'
import type { HeartbeatIdentity, TransportSummary } from './report.js'

/**
 * Carbon's plaintext protocol: `path value timestamp`, one metric per line. A path is made of
 * dot-separated nodes, so a domain's dots (and anything else that is not `[A-Za-z0-9_-]`) become
 * `_`: `shop.example` → `shop_example`.
 */

export interface GraphiteInput {
  /** Path prefix, `waf` by default. */
  prefix: string
  identity: HeartbeatIdentity
  /** Epoch seconds. */
  t: number
  counts: IntervalCounts
  transport: Record<string, TransportSummary>
}

const UNSAFE = /[^A-Za-z0-9_-]/g

/** One path node from a domain or channel name. */
export function graphiteNode (name: string): string {
  const node = name.replace(UNSAFE, '_')
  return node.length === 0 ? '_' : node
}

const PREFIX = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/

export function isGraphitePrefix (prefix: string): boolean {
  return PREFIX.test(prefix)
}

/**
 * The lines of one report: every counter of every domain with traffic, then the worker's own
 * metrics under `<prefix>._worker.<wid>`: `alive 1`, `domain_num`, `overflow` and, per channel,
 * `transport.<channel>.{sent,dropped,reconnects,queued}`. Domains whose nodes collide
 * (`a.b` and `a_b`) are summed, since carbon would keep only one of two points for one path.
 */
export function graphiteLines (input: GraphiteInput): string[] {
  const { prefix, t } = input
  const merged = new Map<string, DomainCounters>()
  for (const [domain, c] of input.counts.domains) {
    const node = graphiteNode(domain)
    const into = merged.get(node)
    if (into === undefined) merged.set(node, Object.assign(new DomainCounters(), c))
    else addInto(into, c)
  }
  const lines: string[] = []
  for (const node of [...merged.keys()].sort()) {
    const values = counterValues(merged.get(node) as DomainCounters)
    for (const name of COUNTER_NAMES) lines.push(`${prefix}.${node}.${name} ${values[name]} ${t}`)
  }
  const self = `${prefix}._worker.${input.identity.wid}`
  lines.push(`${self}.alive 1 ${t}`)
  lines.push(`${self}.domain_num ${input.counts.domains.size} ${t}`)
  lines.push(`${self}.overflow ${input.counts.overflow} ${t}`)
  for (const [channel, s] of Object.entries(input.transport)) {
    const base = `${self}.transport.${graphiteNode(channel)}`
    lines.push(`${base}.sent ${s.sent} ${t}`, `${base}.dropped ${s.dropped} ${t}`,
      `${base}.reconnects ${s.reconnects} ${t}`, `${base}.queued ${s.queued} ${t}`)
  }
  return lines
}

function addInto (into: DomainCounters, c: DomainCounters): void {
  into.ub += c.ub
  into.db += c.db
  into.ac += c.ac
  into.x4 += c.x4
  into.x5 += c.x5
  into.u4 += c.u4
  into.u5 += c.u5
  into.at += c.at
  into.b += c.b
  into.cc += c.cc
  into.acu += c.acu
}
