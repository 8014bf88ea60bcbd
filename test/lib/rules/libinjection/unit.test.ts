import t from 'tap'
import { basename } from 'node:path'
import { SqliState, FLAG_QUOTE_NONE, FLAG_SQL_ANSI } from '../../../../lib/rules/libinjection/sqli-tokenizer.js'
import { fold } from '../../../../lib/rules/libinjection/sqli-fold.js'
import { Html5State, H5_FLAGS } from '../../../../lib/rules/libinjection/html5-tokenizer.js'
import { detectSQLi } from '../../../../lib/rules/libinjection/index.js'
import { libinjectionDir, libinjectionPresent, readUnitTest, rtrim, unitTestFiles, type UnitTest } from './test-file.js'
import { printHtml5Token, printToken } from './print.js'

/**
 * libinjection's own unit tests (tests/ of the shared corpus), run as its testdriver runs them:
 * test-tokens-* print every token, test-folding-* the folded tokens, test-sqli-* the
 * fingerprint of a detection, test-html5-* the HTML5 tokens; the output must equal EXPECTED.
 */

function tokens (u: UnitTest): string {
  const sf = new SqliState()
  sf.init(u.input, u.input.length, FLAG_QUOTE_NONE | FLAG_SQL_ANSI)
  let out = ''
  while (sf.tokenize()) out += printToken(sf.current)
  return out
}

function folding (u: UnitTest): string {
  const sf = new SqliState()
  sf.init(u.input, u.input.length, FLAG_QUOTE_NONE | FLAG_SQL_ANSI)
  const n = fold(sf)
  let out = ''
  for (let i = 0; i < n; i++) out += printToken(sf.tokens[i]!)
  return out
}

function sqli (u: UnitTest): string {
  return detectSQLi(u.input) ?? ''
}

function html5 (u: UnitTest): string {
  const h = new Html5State()
  h.init(u.input, u.input.length, H5_FLAGS.DATA_STATE)
  let out = ''
  while (h.next()) out += printHtml5Token(h)
  return out
}

const KINDS: Array<[string, (u: UnitTest) => string]> = [
  ['test-tokens-', tokens], ['test-folding-', folding], ['test-sqli-', sqli], ['test-html5-', html5]
]

if (!libinjectionPresent()) {
  if (process.env.CI !== undefined) t.fail(`no libinjection corpus at ${libinjectionDir()} (set WAF_CORPUS)`)
  else t.plan(0, `no libinjection corpus at ${libinjectionDir()} (set WAF_CORPUS): libinjection unit tests not run`)
} else {
  for (const [prefix, run] of KINDS) {
    const files = unitTestFiles(prefix)
    t.test(`${prefix}* (${files.length} files)`, async t => {
      t.ok(files.length > 0, 'there are tests of this kind')
      for (const file of files) {
        const u = readUnitTest(file)
        t.equal(rtrim(run(u)), u.expected, `${basename(file)}: ${u.name}`)
      }
    })
  }
}
