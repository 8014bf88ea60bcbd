import t from 'tap'
import { compileRule, RuleEngine, RuleSetBuilder } from '../../../lib/rules/index.js'
import type { RequestInput } from '../../../lib/rules/index.js'

/**
 * A transaction keeps the current rule's matched values (MATCHED_VAR, MATCHED_VAR_NAME,
 * MATCHED_VARS, MATCHED_VARS_NAMES) in arrays made on its first match, and binds its macro
 * resolver on the first macro it expands (lib/rules/transaction.ts). Random requests through
 * chains whose second link reads what the first matched must match exactly when a plain walk of
 * the arguments says, with the logdata the macros give.
 */

function seeded (seed: number): () => number {
  let s = seed
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff
    return s / 0x80000000
  }
}

t.test('chains reading MATCHED_VARS and MATCHED_VARS_NAMES: the values and names the first link matched, all of them', async t => {
  const b = new RuleSetBuilder()
  b.add(compileRule({ id: 1, phase: 1, targets: ['ARGS'], operator: { name: 'rx', argument: 'x' }, chain: { targets: ['MATCHED_VARS_NAMES'], operator: { name: 'rx', argument: '^ARGS:k[13]$' } }, logdata: '%{MATCHED_VAR_NAME}' }))
  b.add(compileRule({ id: 2, phase: 1, targets: ['ARGS'], operator: { name: 'rx', argument: 'y' }, chain: { targets: ['MATCHED_VARS'], operator: { name: 'rx', argument: '^y' } }, logdata: '%{MATCHED_VAR}' }))
  b.add(compileRule({ id: 3, phase: 1, targets: ['ARGS'], operator: { name: 'rx', argument: 'z' }, logdata: '%{MATCHED_VAR_NAME}=%{MATCHED_VAR}' }))
  const engine = new RuleEngine(b.build(), { mode: 'detect' })
  const rand = seeded(11)
  const differ: string[] = []
  const seen = new Set<string>()
  for (let n = 0; n < 600; n++) {
    const args: Array<[string, string]> = []
    for (let i = 0, count = Math.floor(rand() * 6); i < count; i++) {
      const v = ['x', 'y', 'z', 'ax', 'yx', 'by', 'zz', 'q'][Math.floor(rand() * 8)] + String(i)
      args.push([`k${1 + Math.floor(rand() * 4)}`, v])
    }
    const input: RequestInput = { method: 'GET', url: `/p?${args.map(([k, v]) => `${k}=${v}`).join('&')}`, protocol: 'HTTP/1.1', rawHeaders: ['Host', 'h'] }
    const got = engine.check(input).matches.map(m => `${m.rule.id} ${m.logdata}`)
    // The plain walk: rule 1's chain matches when a value holding x is k1's or k3's (logdata: the
    // last name the chain link matched); rule 2's when a value holding y starts with y; rule 3
    // names its last value holding z.
    const want: string[] = []
    const xs = args.filter(([, v]) => v.includes('x'))
    const xNamed = xs.filter(([k]) => k === 'k1' || k === 'k3')
    if (xNamed.length > 0) want.push(`1 MATCHED_VARS_NAMES:ARGS:${xNamed[xNamed.length - 1][0]}`)
    const ys = args.filter(([, v]) => v.includes('y') && v.startsWith('y'))
    if (ys.length > 0) want.push(`2 ${ys[ys.length - 1][1]}`)
    const zs = args.filter(([, v]) => v.includes('z'))
    if (zs.length > 0) want.push(`3 ARGS:${zs[zs.length - 1][0]}=${zs[zs.length - 1][1]}`)
    for (const w of want) seen.add(w.slice(0, 1))
    if (JSON.stringify(got) !== JSON.stringify(want)) differ.push(`${input.url}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`)
  }
  t.same(differ.slice(0, 3), [], 'the matches and logdata a plain walk of the arguments gives')
  t.same([...seen].sort(), ['1', '2', '3'], 'every rule matches some request')
})
