import { COUNTER_NAMES, DomainCounters, addCounters, counterValues } from './counters.js'
import type { IntervalCounts } from './counters.js'
import type { HeartbeatIdentity, TransportSummary } from './report.js'

/**
 * Carbon's plaintext protocol: `path value timestamp`, one metric per line. A path is made of
 * dot-separated nodes, so a domain's dots (and anything else that is not `[A-Za-z0-9_-]`) become
 * `_`: `shop.example` → `shop_example`.
 */

export interface GraphiteInput {
  /** The path prefix template, `waf.{node}.{wid}` by default (see `expandGraphitePrefix`). */
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

/** The default prefix: one subtree per machine and worker, so that no two write the same path. */
export const DEFAULT_GRAPHITE_PREFIX = 'waf.{node}.{wid}'
const PLACEHOLDER = /\{([^{}]*)\}/g
const PLACEHOLDERS = new Set(['node', 'wid'])

/**
 * Why a prefix template cannot make a graphite path, or undefined when it can. `{node}` and
 * `{wid}` always expand to one or more safe characters, so a template that is a valid path with
 * them replaced by `x` is valid for every node and worker.
 */
export function graphitePrefixProblem (template: string): string | undefined {
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (!PLACEHOLDERS.has(m[1])) return `must be a template with the placeholders {node} and {wid} only, not ${m[0]}`
  }
  if (!isGraphitePrefix(template.replace(PLACEHOLDER, 'x'))) {
    return 'must be dot-separated nodes of A-Z a-z 0-9 _ - once {node} and {wid} are filled in (such as "waf.{node}.{wid}" or "edge.waf")'
  }
  return undefined
}

export interface GraphitePaths {
  /** Where the domains' counters go: `<prefix>.<domain>.<counter>`. */
  prefix: string
  /** Where the worker's own metrics go. */
  worker: string
}

/**
 * The template filled in for one worker: `{node}` is the node name made one path node (dots and
 * other unsafe characters become `_`: `edge-1.dc.example` → `edge-1_dc_example`), `{wid}` the
 * worker id. The worker's own metrics go under `<prefix>._worker`, and under
 * `<prefix>._worker.<wid>` when the template has no `{wid}` to keep workers apart.
 */
export function expandGraphitePrefix (template: string, identity: HeartbeatIdentity): GraphitePaths {
  const prefix = template.replace(PLACEHOLDER, (_m, name: string) => name === 'node' ? graphiteNode(identity.node) : String(identity.wid))
  return { prefix, worker: template.includes('{wid}') ? `${prefix}._worker` : `${prefix}._worker.${identity.wid}` }
}

/**
 * The lines of one report: every counter of every domain with traffic, then the worker's own
 * metrics (see `expandGraphitePrefix`): `alive 1`, `domain_num`, `overflow` and, per channel,
 * `transport.<channel>.{sent,dropped,reconnects,queued}`. Domains whose nodes collide
 * (`a.b` and `a_b`) are summed, since carbon would keep only one of two points for one path.
 */
export function graphiteLines (input: GraphiteInput): string[] {
  const { t } = input
  const { prefix, worker: self } = expandGraphitePrefix(input.prefix, input.identity)
  const merged = new Map<string, DomainCounters>()
  for (const [domain, c] of input.counts.domains) {
    const node = graphiteNode(domain)
    const into = merged.get(node)
    if (into === undefined) merged.set(node, Object.assign(new DomainCounters(), c))
    else addCounters(into, c)
  }
  const lines: string[] = []
  for (const node of [...merged.keys()].sort()) {
    const values = counterValues(merged.get(node) as DomainCounters)
    for (const name of COUNTER_NAMES) lines.push(`${prefix}.${node}.${name} ${values[name]} ${t}`)
  }
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
