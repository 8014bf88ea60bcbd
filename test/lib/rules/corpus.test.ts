import t from 'tap'
import { RuleEngine, loadRules, defaultRulesDir } from '../../../lib/rules/index.js'
import { BROWSER_HEADERS, CORPUS, corpusDir, encodeValue, payloads, payloadsPresent } from './corpus.js'

/**
 * Quality of the default rule set on the shared payload corpus, run through the engine
 * directly (the plugin test sends a sample over real HTTP). Each payload is a query value and,
 * separately, a urlencoded body value, in detect mode.
 */
if (!payloadsPresent()) {
  t.plan(0, `no payload corpus at ${corpusDir()} (set WAF_CORPUS): quality not measured`)
} else {
  const engine = new RuleEngine((await loadRules(defaultRulesDir())).build(), { mode: 'detect' })
  const formHeaders = [...BROWSER_HEADERS, 'Content-Type', 'application/x-www-form-urlencoded']
  for (const file of CORPUS) {
    t.test(file.name, async t => {
      const lines = payloads(file.name)
      let query = 0
      let body = 0
      const wrong: string[] = []
      for (const line of lines) {
        const v = encodeValue(line)
        const q = engine.check({ method: 'GET', url: `/search?q=${v}&page=1`, rawHeaders: BROWSER_HEADERS }).attacks.length > 0
        const b = engine.check({ method: 'POST', url: '/search', rawHeaders: formHeaders, body: { form: `q=${v}&page=1` } }).attacks.length > 0
        if (q) query++
        if (b) body++
        if (q !== file.attack && wrong.length < 5) wrong.push(line.slice(0, 100))
      }
      const qr = query / lines.length
      const br = body / lines.length
      const verb = file.attack ? 'detected' : 'flagged'
      t.comment(`${file.name}: ${lines.length} payloads, ${verb} ${(100 * qr).toFixed(2)}% as a query value, ${(100 * br).toFixed(2)}% as a form value (bar: ${file.attack ? '>=' : '<='} ${100 * file.bar}%)`)
      for (const w of wrong) t.comment(`  e.g. ${file.attack ? 'missed' : 'flagged'}: ${w}`)
      if (file.attack) {
        t.ok(qr >= file.bar, `query: ${(100 * qr).toFixed(2)}% >= ${100 * file.bar}%`)
        t.ok(br >= file.bar, `body: ${(100 * br).toFixed(2)}% >= ${100 * file.bar}%`)
      } else {
        t.ok(qr <= file.bar, `query: ${(100 * qr).toFixed(2)}% <= ${100 * file.bar}%`)
        t.ok(br <= file.bar, `body: ${(100 * br).toFixed(2)}% <= ${100 * file.bar}%`)
      }
    })
  }
}

if (payloadsPresent()) {
  t.test('the merged prefilter of the default rules never changes what matches', async t => {
    const set = (await loadRules(defaultRulesDir())).build()
    // A small rule set scans collections with the same chains together (ruleset.ts, SMALL_SET).
    const groups = set.phases[1]?.groups.length ?? 0
    t.ok(groups > 0 && groups <= 4, `phase 1 of the default rules in ${groups} prefilter group(s)`)
    const fast = new RuleEngine(set, { mode: 'detect' })
    const slow = new RuleEngine((await loadRules(defaultRulesDir())).build({ prefilter: false }), { mode: 'detect' })
    const ids = (e: RuleEngine, url: string, form: string): string =>
      e.check({ method: 'POST', url, rawHeaders: [...BROWSER_HEADERS, 'Content-Type', 'application/x-www-form-urlencoded'], body: { form } })
        .attacks.map(a => `${a.ruleId}@${a.location}`).join(' ')
    let differ = 0
    let compared = 0
    for (const file of CORPUS) {
      for (const line of payloads(file.name).slice(0, 400)) {
        const v = encodeValue(line)
        compared++
        if (ids(fast, `/search?q=${v}`, `c=${v}`) !== ids(slow, `/search?q=${v}`, `c=${v}`)) differ++
      }
    }
    t.equal(differ, 0, `${compared} payloads, each as a query and a form value: same rules, same locations`)
  })
}
