import { defaultRulesDir, loadRules, RuleEngine } from '../lib/rules/index.js'
import type { CompiledRule, RequestInput } from '../lib/rules/index.js'
import { Transaction } from '../lib/rules/transaction.js'
import { DEFAULT_LIMITS } from '../lib/rules/request-data.js'
import { getCollection } from '../lib/rules/collections.js'
import { chainStages } from '../lib/rules/chain.js'
import { cpuMicros as micros, printRatios, throughput } from './harness.js'
import { printResponseCost } from './response.js'
import { formPost, TYPICAL_GET as GET } from './requests.js'
import { detectorReport } from './libinjection.js'

/**
 * The rule engine with the default rules, in process: median µs per request (both phases) for a
 * typical GET (10 headers, 5 arguments) and a 4 KB form post; the same rules as a naive loop of
 * JavaScript RegExp (one rule after another, every value transformed per rule, no prefilter);
 * growth on adversarial values of 1, 10 and 100 KB; libinjection's detectors beside the
 * regexes (bench/libinjection.ts); and hello-world throughput with wafRules
 * as a ratio to bare Fastify (child processes, interleaved rounds).
 */

/** An RE2 pattern as a JavaScript RegExp: inline `(?i)` / `(?i:` become the `i` flag. */
function jsRegExp (source: string): RegExp {
  const ci = /\(\?i[):]/.test(source)
  return new RegExp(source.replace(/\(\?i\)/g, '').replace(/\(\?i:/g, '(?:'), ci ? 'i' : '')
}

/**
 * The naive engine: for every rule, for every value of its targets, apply the rule's
 * transformations and test its pattern. Same rules, same inputs, same verdict on clean traffic.
 */
function naive (rules: CompiledRule[]): (input: RequestInput) => number {
  const compiled = rules.map(r => {
    const op = r.operator
    const re = op.name === 'rx' ? jsRegExp(op.argument) : op.name === 'pm' ? new RegExp(op.argument.split(/\s+/).map(p => p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'), 'i') : undefined
    return { r, re, stages: chainStages(r.transforms), cols: r.targets.map(t => ({ t, col: getCollection(t.collection) })) }
  })
  return (input: RequestInput): number => {
    const tx = new Transaction(input, DEFAULT_LIMITS, 'detect')
    let hits = 0
    for (const phase of [1, 2]) {
      if (phase === 2 && input.body !== undefined) tx.setBody(input.body)
      for (const c of compiled) {
        if (c.r.phase !== phase && !(phase === 2 && c.r.alsoBody)) continue
        for (const { t, col } of c.cols) {
          if (col === undefined) continue
          for (const e of tx.collection(col)) {
            if (t.key !== undefined && e.lkey !== t.key) continue
            let v = e.value
            for (const s of c.stages) v = s.fn(v)
            const m = c.re !== undefined ? c.re.test(v) : c.r.operator.match(v, tx)
            if (m !== c.r.negated) hits++
          }
        }
      }
    }
    return hits
  }
}

export default async function (): Promise<void> {
  const set = (await loadRules(defaultRulesDir())).build()
  const engine = new RuleEngine(set, { mode: 'detect' })
  const post = formPost()
  for (const input of [GET, post]) {
    if (engine.check(input).attacks.length > 0) throw new Error('bench inputs must be clean traffic')
  }
  const slow = naive(set.rules)
  const rows: Array<[string, number, number]> = [
    ['typical GET (10 headers, 5 args)', micros(() => engine.check(GET), 20000), micros(() => slow(GET), 5000)],
    ['4 KB urlencoded form post', micros(() => engine.check(post), 5000), micros(() => slow(post), 1000)]
  ]
  process.stdout.write(`default rules (${set.rules.length} rules): median CPU µs per request, both phases\n`)
  for (const [name, fast, naiveUs] of rows) {
    process.stdout.write(`  ${name.padEnd(36)} engine ${fast.toFixed(1).padStart(7)} µs   naive JS RegExp loop ${naiveUs.toFixed(1).padStart(8)} µs   ${(naiveUs / fast).toFixed(1)} x faster\n`)
  }

  process.stdout.write('adversarial value (\'a\' * n + \'!\'), whole value inspected: median CPU µs per request\n')
  const big = new RuleEngine(set, { mode: 'detect', limits: { valueBytes: 1 << 20 } })
  for (const kb of [1, 10, 100]) {
    const value = 'a'.repeat(kb * 1024) + '!'
    const input: RequestInput = { ...GET, url: `/?q=${value}` }
    const us = micros(() => big.check(input), kb === 100 ? 100 : 1000)
    process.stdout.write(`  ${String(kb).padStart(3)} KB ${us.toFixed(1).padStart(9)} µs   ${(us / kb).toFixed(2).padStart(7)} µs per KB\n`)
  }

  process.stdout.write(detectorReport(set.rules, micros))

  process.stdout.write(`response phases: ${engine.ruleSet.phases[3] === undefined && engine.ruleSet.phases[4] === undefined ? 'the default rules have none, so no response hook is added' : 'loaded'}; with the CRS at PL1:\n`)
  await printResponseCost(1)

  const results = await throughput([
    { name: 'bare fastify', module: 'servers/hello.js' },
    { name: 'wafRules (default rules, block mode)', module: 'servers/rules.js', headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', accept: 'text/html' } }
  ])
  printRatios('hello world', results, 'bare fastify')
}
