import t from 'tap'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { RuleEngine } from '../../lib/rules/index.js'
import type { RequestInput } from '../../lib/rules/index.js'
import { bodyInput } from '../../lib/rules/node-input.js'
import { BROWSER_HEADERS, CORPUS, encodeValue, payloads, payloadsPresent } from '../lib/rules/corpus.js'
import { loadCrs } from './crs-builder.js'
import { buildFtwRequest } from './ftw-request.js'
import { readFtwTests } from './ftw-yaml.js'

/**
 * The prefilter may only skip work, never a match: every request of the CRS's go-ftw tests
 * (attacks of every kind, evasions, protocol oddities) and requests made of the payload corpus
 * go through the CRS at paranoia level 4 with every rule run on every value, and with the
 * prefilter: without the result cache, with it while it fills, with it warm (a second pass
 * over the same requests once it is filled) and with a limit so small that it evicts all the
 * time (with the cache, a set is not called on parts that hold none of its literal factors:
 * those skips are compared too; with it, libinjection's verdicts are remembered per value,
 * ../../lib/rules/detection-memo.ts). All must match the same rules, in the same order, at the same
 * locations, with the same scores and logdata (942100's libinjection fingerprint among them). Requests are read from the bytes go-ftw would send; one in every SAMPLE is taken (one
 * in every PAYLOAD_SAMPLE payloads), to keep the slow engine within seconds.
 */
const here = dirname(fileURLToPath(import.meta.url))
const corpus = process.env.WAF_CORPUS ?? resolve(here, '../../../shared/corpus')
const crsDir = join(corpus, 'crs')
const SAMPLE = 2
const PAYLOAD_SAMPLE = 100
/** A result cache limit small enough to evict on nearly every request. */
const TINY_CACHE = 24 * 1024

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
  t.test('the CRS matches the same rules with and without the prefilter and its result cache (go-ftw requests and payloads, PL4)', async t => {
    const builder = await loadCrs(crsDir, t.testdir(), 4)
    const prefiltered = builder.build()
    // The reference: every rule on every value, nothing remembered (no prefilter, no result cache, no libinjection memo).
    const slow = new RuleEngine(builder.build({ prefilter: false }), { mode: 'detect', resultCacheBytes: 0 })
    const uncached = new RuleEngine(prefiltered, { mode: 'detect', resultCacheBytes: 0 })
    const cached = new RuleEngine(prefiltered, { mode: 'detect' })
    const tiny = new RuleEngine(prefiltered, { mode: 'detect', resultCacheBytes: TINY_CACHE })
    t.ok(prefiltered.phases[2]!.groups.length > 10, 'the CRS is prefiltered')
    t.equal(slow.ruleSet.phases[2]!.groups.length, 0, 'the reference runs every rule')
    const sqli200 = prefiltered.phases[2]!.items.find(x => 'rule' in x && x.rule.id === '942200')
    t.ok(sqli200 !== undefined && 'group' in sqli200 && sqli200.group >= 0, '942200 (`\\z` in its pattern, scanned as `$`) is prefiltered')
    t.equal(uncached.resultCache, undefined, 'resultCacheBytes 0: no result cache')

    const requests: Array<{ name: string, input: RequestInput }> = []
    let refused = 0
    let n = 0
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
          if (input === undefined) refused++
          else requests.push({ name: test.name, input })
        }
      }
    }
    const ftw = requests.length
    if (payloadsPresent()) {
      // A payload in the query, or in a cookie beside the browser's usual ones: values the cache sees once, among values it sees every time.
      for (const { name } of CORPUS) {
        payloads(name).forEach((p, i) => {
          if (i % PAYLOAD_SAMPLE !== 0) return
          const value = encodeValue(p)
          const inQuery = (i / PAYLOAD_SAMPLE) % 2 === 0
          requests.push({
            name: `${name}:${i + 1}`,
            input: {
              method: 'GET',
              url: inQuery ? `/search?page=2&q=${value}` : '/search?page=2',
              protocol: 'HTTP/1.1',
              rawHeaders: [...BROWSER_HEADERS, 'Cookie', `session=9f8e7d6c5b4a3928; theme=dark${inQuery ? '' : `; pref=${value}`}`],
              remoteAddress: '127.0.0.1'
            }
          })
        })
      }
    } else {
      t.comment('the payload corpus is absent: go-ftw requests only')
    }

    const outcome = (e: RuleEngine, input: RequestInput): string =>
      e.check(input).matches.map(m => `${m.rule.id}@${m.location}+${m.score} ${m.logdata}`).join(' ')
    const differ: string[] = []
    const compare = (what: string, name: string, got: string, want: string): void => {
      if (got !== want) differ.push(`${name}: ${what} [${got}] vs every rule [${want}]`)
    }
    const reference = requests.map(r => outcome(slow, r.input))
    requests.forEach((r, i) => {
      compare('without the cache', r.name, outcome(uncached, r.input), reference[i])
      compare('with the cache filling', r.name, outcome(cached, r.input), reference[i])
      compare(`with a ${TINY_CACHE}-byte cache`, r.name, outcome(tiny, r.input), reference[i])
    })
    const filled = cached.resultCache!.stats()
    requests.forEach((r, i) => compare('with the cache warm', r.name, outcome(cached, r.input), reference[i]))
    const warm = cached.resultCache!.stats()
    const small = tiny.resultCache!.stats()
    t.comment(`${ftw} go-ftw requests and ${requests.length - ftw} payload requests compared, ${refused} not parsed (Node would refuse them)`)
    t.comment(`cache filled: ${JSON.stringify(filled)}; warm pass: ${warm.hits - filled.hits} hits, ${warm.misses - filled.misses} misses; tiny: ${JSON.stringify(small)}`)
    t.ok(ftw > 1000, 'most requests compared')
    t.same(differ, [], 'no request matches differently with the prefilter, with or without the result cache')
    t.equal(filled.evictions, 0, 'the default cache holds every piece of this run')
    t.ok(warm.hits - filled.hits > 3 * (warm.misses - filled.misses), 'the warm pass is served by the cache, mostly (its misses: parts over 4 KB, and values seen once before)')
    t.ok(small.evictions > 500 && small.bytes <= TINY_CACHE, `the tiny cache evicts (${small.evictions} pieces), and stays within its limit`)
    t.ok(filled.literalSkips > 1000, 'sets skipped by their literal factors are among the compared scans')
    t.ok(warm.detectionHits - filled.detectionHits > 10 * (warm.detectionMisses - filled.detectionMisses), 'libinjection\'s verdicts are served by the memo on the warm pass')
    t.ok(small.detectionHits > 0, 'the tiny cache\'s memo serves some too')
    t.ok(warm.formPairHits - filled.formPairHits > 100, `the go-ftw forms' pairs are served by the form memo on the warm pass (${warm.formPairHits - filled.formPairHits})`)
  })
}
