import t from 'tap'
import type { Test } from 'tap'
import fc from 'fast-check'
import { CounterTable } from '../../../lib/heartbeat/counters.js'
import type { CountedRequest, IntervalCounts } from '../../../lib/heartbeat/counters.js'
import { buildReport, summarizeTransport } from '../../../lib/heartbeat/report.js'
import type { HeartbeatRecord, ReportInput, TransportSummary } from '../../../lib/heartbeat/report.js'
import { jsonLine } from '../../../lib/log/writers/json.js'
import { OTHER_DOMAIN, INVALID_DOMAIN } from '../../../lib/heartbeat/domain-key.js'

const identity = { e: '0.1.0', ip: '10.0.0.5', node: 'edge-1.dc.example', wid: 3 }

function counts (domains: string[], each = 1, maxDomains = 1_000_000): IntervalCounts {
  const table = new CounterTable(maxDomains, 0)
  for (const domain of domains) {
    for (let i = 0; i < each; i++) {
      const r: CountedRequest = { domain, status: 200 + (i % 4) * 100, bytesIn: 123456 + i, bytesOut: 9876543 + i, upstreamStatus: 502, forwarded: i % 2 === 0, attacked: i % 3 === 0, bot: false, cc: true }
      table.count(r)
    }
  }
  return table.drain(1)
}

function input (c: IntervalCounts, maxBytes: number, transport: Record<string, TransportSummary> = {}): ReportInput {
  return { identity, t: 1763764800, interval: 10, counts: c, transport, maxBytes }
}

function size (rec: HeartbeatRecord): number {
  return Buffer.byteLength(jsonLine(rec))
}

/** Every invariant of a split report. */
function checkParts (t: Test, parts: HeartbeatRecord[], c: IntervalCounts, maxBytes: number, transport: Record<string, TransportSummary>): void {
  const seen = new Map<string, number>()
  parts.forEach((p, i) => {
    t.ok(size(p) <= maxBytes, `part ${i + 1} is ${size(p)} <= ${maxBytes} bytes`)
    t.match(p, { type: 'heartbeat', e: identity.e, ip: identity.ip, node: identity.node, t: 1763764800, wid: identity.wid, interval: 10, domain_num: c.domains.size, overflow: c.overflow, part: i + 1, parts: parts.length })
    if (i === 0) t.ok(p.transport !== undefined, 'part 1 carries the transport stats')
    else t.equal(p.transport, undefined, `part ${i + 1} carries no transport stats`)
    for (const [k, v] of Object.entries(p.domains)) {
      seen.set(k, (seen.get(k) ?? 0) + 1)
      const src = c.domains.get(k)
      t.equal(v.ac, src?.ac, `${k} keeps its counters`)
    }
  })
  t.equal(seen.size, c.domains.size, 'every domain appears')
  t.ok([...seen.values()].every(n => n === 1), 'no domain appears twice')
  if (parts[0].transport_omitted === undefined) t.same(parts[0].transport, transport)
}

t.test('500 domains under a 1472-byte limit: many parts, each within the limit, each domain once', async t => {
  const names = Array.from({ length: 500 }, (_, i) => `d${i}.shop-${i % 7}.example`)
  const c = counts(names, 3)
  const transport = summarizeTransport({
    access: { written: 10, sent: 7, queued: 1, dropped: { overflow: 1, oversize: 0, closed: 1 }, bytesSent: 1, reconnects: 2, errors: 0, connected: true },
    heart: { written: 0, sent: 0, queued: 0, dropped: { overflow: 0, oversize: 0, closed: 0 }, bytesSent: 0, reconnects: 0, errors: 0, connected: false }
  })
  t.same(transport.access, { sent: 7, dropped: 2, reconnects: 2, queued: 1 })
  const parts = buildReport(input(c, 1472, transport))
  t.ok(parts.length > 10, `${parts.length} parts: the part numbers reach two digits`)
  checkParts(t, parts, c, 1472, transport)
  // Greedy packing: no two consecutive parts could have been one.
  for (let i = 1; i < parts.length; i++) {
    const first = Object.keys(parts[i].domains)[0]
    const grown = { ...parts[i - 1], domains: { ...parts[i - 1].domains, [first]: parts[i].domains[first] } }
    t.ok(size(grown) > 1472, `part ${i} was full`)
  }
})

t.test('a report that fits is one part, and a report without traffic is one part with no domains', async t => {
  const one = buildReport(input(counts(['a.example', 'b.example']), 65000))
  t.equal(one.length, 1)
  t.same(Object.keys(one[0].domains), ['a.example', 'b.example'])
  t.match(one[0], { part: 1, parts: 1, domain_num: 2 })
  const idle = buildReport(input(counts([]), 65000))
  t.equal(idle.length, 1)
  t.same(idle[0].domains, {})
  t.same(idle[0].transport, {})
  t.equal(idle[0].domain_num, 0)
})

t.test('the reserved buckets come last and _other is reported with the overflow count', async t => {
  const c = counts(['z.example', 'a.example', 'b.example', 'bad host', 'c.example'], 2, 2)
  const [p] = buildReport(input(c, 65000))
  t.same(Object.keys(p.domains), ['a.example', 'z.example', OTHER_DOMAIN, INVALID_DOMAIN])
  t.equal(p.overflow, 4)
  t.equal(p.domains[OTHER_DOMAIN].ac, 4)
  t.equal(p.domains[INVALID_DOMAIN].ac, 2)
})

t.test('transport stats too large for one part are cut, and the cut is reported', async t => {
  const stats: Record<string, TransportSummary> = {}
  for (let i = 0; i < 200; i++) stats[`file:///var/log/waf/per-domain/d${i}.example.log`] = { sent: i, dropped: 0, reconnects: 0, queued: 0 }
  const c = counts(['a.example', 'b.example'])
  const parts = buildReport(input(c, 1472, stats))
  checkParts(t, parts, c, 1472, stats)
  const kept = Object.keys(parts[0].transport ?? {}).length
  t.ok(kept > 0 && kept < 200, `${kept} channels kept`)
  t.equal(parts[0].transport_omitted, 200 - kept)
})

t.test('part 1 may carry only the transport stats when they fill it', async t => {
  const stats: Record<string, TransportSummary> = {}
  for (let i = 0; i < 9; i++) stats[`channel-${i}-with-a-long-name-that-takes-room`] = { sent: 1, dropped: 0, reconnects: 0, queued: 0 }
  const c = counts(['a.example'])
  const parts = buildReport(input(c, 1000, stats))
  checkParts(t, parts, c, 1000, stats)
})

t.test('property: any domain set and limit gives parts within the limit, each domain once', async t => {
  const domain = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,80}$/)
  await fc.assert(fc.property(
    fc.uniqueArray(domain, { maxLength: 300 }),
    fc.integer({ min: 512, max: 8000 }),
    fc.integer({ min: 0, max: 12 }),
    (names, maxBytes, channels) => {
      const transport: Record<string, TransportSummary> = {}
      for (let i = 0; i < channels; i++) transport[`ch${i}`] = { sent: i * 1e9, dropped: i, reconnects: i, queued: i }
      const c = counts(names, 1)
      const parts = buildReport(input(c, maxBytes, transport))
      const seen: string[] = []
      for (const p of parts) {
        if (size(p) > maxBytes) return false
        if (p.parts !== parts.length) return false
        seen.push(...Object.keys(p.domains))
      }
      return seen.length === c.domains.size && new Set(seen).size === seen.length
    }), { numRuns: 150 })
  t.pass('held for 150 random reports')
})
