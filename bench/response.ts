import { gzipSync } from 'node:zlib'
import '../lib/rules/seclang/index.js'
import { loadRules, RuleEngine, RuleSetBuilder } from '../lib/rules/index.js'
import { configureSecLang } from '../lib/rules/seclang/index.js'
import { ResponseInspection } from '../lib/rules/response-inspect.js'
import { crsRuleFiles } from './crs-rules.js'
import { TYPICAL_GET } from './requests.js'

/**
 * What response inspection costs with the CRS: CPU µs per response for phases 3 and 4 (and 5)
 * over a clean HTML page of 1, 16 and 64 KB, plain and gzip-encoded (decoded for inspection),
 * after the request phases (not counted), and µs per KB. In process, through the same
 * ResponseInspection the plugin's onSend hook runs, in detect mode.
 */

/** A clean page of about `kb` KB: markup and prose, no leak. */
function page (kb: number): Buffer {
  const row = '<tr><td class="name">Blue running shoes, size 42</td><td class="price">59.90</td><td><a href="/p/1234">details</a></td></tr>\n'
  let html = '<!DOCTYPE html><html><head><title>Catalog</title></head><body><table>\n'
  while (html.length < kb * 1024 - 30) html += row
  return Buffer.from(html.slice(0, kb * 1024 - 23) + '</table></body></html>')
}

export async function printResponseCost (paranoia: number): Promise<void> {
  const crs = crsRuleFiles()
  if (crs === undefined) {
    process.stdout.write('  skipped: no CRS found (../shared/corpus/crs, or Debian modsecurity-crs)\n')
    return
  }
  const builder = new RuleSetBuilder()
  configureSecLang(builder, { paranoia })
  await loadRules(crs.paths, builder)
  const engine = new RuleEngine(builder.build(), { mode: 'detect' })
  const phases = [3, 4, 5].map(p => `${p}: ${engine.ruleSet.phases[p]?.items.filter(i => !('marker' in i)).length ?? 0}`).join(', ')
  process.stdout.write(`  ${crs.label} PL${paranoia} (response rules by phase ${phases}): CPU µs per response, phases 3-5, detect mode\n`)
  const plain: number[] = []
  for (const kb of [1, 16, 64]) {
    const body = page(kb)
    const gz = gzipSync(body)
    const row: string[] = []
    for (const [label, payload, headers] of [
      ['plain', body, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length }],
      ['gzip', gz, { 'content-type': 'text/html; charset=utf-8', 'content-length': gz.length, 'content-encoding': 'gzip' }]
    ] as const) {
      // The request phases run outside the timed part: a transaction each, ready for its response.
      const ready: ResponseInspection[] = []
      const fresh = (): ResponseInspection => {
        const tx = engine.begin(TYPICAL_GET)
        engine.phase(tx, 1)
        engine.phase(tx, 2)
        return new ResponseInspection(engine, tx)
      }
      const n = kb === 64 ? 300 : 1500
      // Process CPU time (every thread: gzip decodes on libuv's pool) over sequential responses, after a warm-up.
      for (let i = 0; i < n + 100; i++) ready.push(fresh())
      const one = async (inspection: ResponseInspection): Promise<void> => {
        await new Promise<void>(resolve => { inspection.inspect({ status: 200, headers }, payload, true, () => { resolve() }) })
        inspection.finish()
      }
      for (let i = 0; i < 100; i++) await one(ready[n + i])
      const c = process.cpuUsage()
      for (let i = 0; i < n; i++) await one(ready[i])
      const d = process.cpuUsage(c)
      const us = (d.user + d.system) / n
      const found = engine.attacks(ready[0].tx).filter(a => (a.phase ?? 0) >= 3).map(a => a.ruleId)
      if (found.length > 0) throw new Error(`the page must be clean; matched ${found.join(',')}`)
      if (label === 'plain') plain.push(us)
      row.push(`${label} ${us.toFixed(1).padStart(7)} µs (${(us / kb).toFixed(2)} µs/KB)`)
    }
    process.stdout.write(`    ${String(kb).padStart(2)} KB page   ${row.join('   ')}\n`)
  }
  process.stdout.write(`    phase 4 per KB of plain body beyond the first (64 KB vs 1 KB): ${((plain[2] - plain[0]) / 63).toFixed(2)} µs/KB\n`)
}
