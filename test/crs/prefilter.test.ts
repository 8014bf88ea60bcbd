import t from 'tap'
import { copyFileSync, existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import '../../lib/rules/seclang/index.js'
import { loadRules, RuleEngine, RuleSetBuilder } from '../../lib/rules/index.js'
import type { RequestInput } from '../../lib/rules/index.js'
import { bodyInput } from '../../lib/rules/node-input.js'
import { configureSecLang } from '../../lib/rules/seclang/index.js'
import { buildFtwRequest } from './ftw-request.js'
import { readFtwTests } from './ftw-yaml.js'

/**
 * The prefilter may only skip work, never a match: every request of the CRS's go-ftw tests
 * (attacks of every kind, evasions, protocol oddities) goes through the CRS at paranoia level
 * 4 twice, with the prefilter and with every rule run on every value, and both must match the
 * same rules, in the same order, with the same scores. Requests are read from the bytes
 * go-ftw would send; one in every SAMPLE is taken, to keep the slow engine within seconds.
 */
const here = dirname(fileURLToPath(import.meta.url))
const corpus = process.env.WAF_CORPUS ?? resolve(here, '../../../shared/corpus')
const crsDir = join(corpus, 'crs')
const SAMPLE = 2

/** A request as Node would hand it over, from its bytes (what go-ftw builds); undefined when Node would refuse it. */
function parseRequest (bytes: Buffer): RequestInput | undefined {
  const text = bytes.toString('latin1')
  const end = text.indexOf('\r\n\r\n')
  if (end === -1) return undefined
  const lines = text.slice(0, end).split('\r\n')
  const m = /^([A-Z]+) (\S+) HTTP\/(1\.[01])$/.exec(lines[0] ?? '')
  if (m === null) return undefined
  const rawHeaders: string[] = []
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':')
    if (colon <= 0) return undefined
    rawHeaders.push(line.slice(0, colon), line.slice(colon + 1).trim())
  }
  const input: RequestInput = { method: m[1]!, url: m[2]!, protocol: `HTTP/${m[3]!}`, rawHeaders, remoteAddress: '127.0.0.1' }
  const header = (name: string): string | undefined => {
    for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === name) return rawHeaders[i + 1]
    return undefined
  }
  const length = Number(header('content-length') ?? 0)
  if (length > 0) {
    const body = bodyInput(bytes.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1')).subarray(0, length), undefined, header('content-type'))
    if (body !== undefined) input.body = body
  }
  return input
}

if (!existsSync(join(crsDir, 'tests')) || !existsSync(join(crsDir, 'rules'))) {
  t.plan(0, `the CRS corpus is absent (${crsDir}); set WAF_CORPUS or provide ../shared/corpus/crs`)
} else {
  t.test('the CRS matches the same rules with and without the prefilter (go-ftw requests, PL4)', async t => {
    const dir = t.testdir()
    const setup = join(dir, 'crs-setup.conf')
    copyFileSync(join(crsDir, 'crs-setup.conf.example'), setup)
    const builder = new RuleSetBuilder()
    configureSecLang(builder, { paranoia: 4 })
    await loadRules([setup, join(crsDir, 'rules')], builder)
    const fast = new RuleEngine(builder.build(), { mode: 'detect' })
    const slow = new RuleEngine(builder.build({ prefilter: false }), { mode: 'detect' })
    t.ok(fast.ruleSet.phases[2]!.groups.length > 10, 'the CRS is prefiltered')
    t.equal(slow.ruleSet.phases[2]!.groups.length, 0, 'the reference runs every rule')

    const outcome = (e: RuleEngine, input: RequestInput): string[] =>
      e.check(input).matches.map(m => `${m.rule.id}@${m.location}+${m.score}`)
    let compared = 0
    let refused = 0
    let n = 0
    const differ: string[] = []
    for (const file of readFtwTests(join(crsDir, 'tests'))) {
      for (const test of file.tests) {
        for (const stage of test.stages) {
          if (n++ % SAMPLE !== 0) continue
          let input: RequestInput | undefined
          try {
            input = parseRequest(buildFtwRequest(stage.input))
          } catch {
            input = undefined
          }
          if (input === undefined) {
            refused++
            continue
          }
          compared++
          const a = outcome(fast, input)
          const b = outcome(slow, input)
          if (a.join(' ') !== b.join(' ')) differ.push(`${test.name}: prefiltered [${a.join(' ')}] vs every rule [${b.join(' ')}]`)
        }
      }
    }
    t.comment(`${compared} requests compared, ${refused} not parsed (Node would refuse them)`)
    t.ok(compared > 1000, 'most requests compared')
    t.same(differ, [], 'no request matches differently with the prefilter')
  })
}
