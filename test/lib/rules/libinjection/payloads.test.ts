import t from 'tap'
import { readFileSync } from 'node:fs'
import { detectSQLi, detectXSS } from '../../../../lib/rules/libinjection/index.js'
import { corpusDir, payloadsPresent } from '../corpus.js'
import { urlDecode } from './test-file.js'
import { join } from 'node:path'

/**
 * The payload lists, each line URL-decoded as libinjection's reader decodes it: every sqli.txt
 * line detected by detectSQLi and every xss.txt line by detectXSS, no benign-text.txt line by
 * either; except exactly the lines libinjection itself answers otherwise (the fixture, which
 * the differential test checks against the C library).
 */
interface Exceptions {
  notDetected: Record<string, string[]>
  flagged: Record<string, string[]>
}
const exceptions = JSON.parse(readFileSync(new URL('../../../fixtures/libinjection/payload-exceptions.json', import.meta.url), 'utf8')) as Exceptions

function lines (name: string): string[] {
  return readFileSync(join(corpusDir(), 'payloads', name)).toString('latin1').split('\n').filter(l => l.length > 0)
}

const CASES: Array<[string, (b: Uint8Array) => boolean, boolean]> = [
  ['sqli.txt', b => detectSQLi(b) !== null, true],
  ['xss.txt', b => detectXSS(b), true],
  ['benign-text.txt', b => detectSQLi(b) !== null || detectXSS(b), false]
]

if (!payloadsPresent()) {
  if (process.env.CI !== undefined) t.fail(`no payload corpus at ${corpusDir()} (set WAF_CORPUS)`)
  else t.plan(0, `no payload corpus at ${corpusDir()} (set WAF_CORPUS): payload lists not checked`)
} else {
  for (const [name, detect, attack] of CASES) {
    t.test(name, async t => {
      const all = lines(name)
      const expectedOdd = (attack ? exceptions.notDetected[name] : exceptions.flagged[name]) ?? []
      const odd = all.filter(l => detect(urlDecode(l)) !== attack)
      t.comment(`${name}: ${all.length} lines, ${all.length - odd.length} ${attack ? 'detected' : 'not flagged'}; ${odd.length} answered otherwise, as libinjection answers them`)
      t.same(odd, expectedOdd, attack ? 'every line is detected but the ones libinjection misses' : 'no line is flagged but the ones libinjection flags')
    })
  }
}
