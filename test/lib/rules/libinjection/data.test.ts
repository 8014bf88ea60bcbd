import t from 'tap'
import { readFileSync } from 'node:fs'
import { render, OUTPUT, CHAR_CLASSES } from '../../../../scripts/gen-libinjection.mjs'
import { CHAR_CLASSES as COMMITTED_CLASSES } from '../../../../lib/rules/libinjection/data.js'
import { keywordType } from '../../../../lib/rules/libinjection/keywords.js'
import { corpusDir } from '../corpus.js'
import { libinjectionDir, libinjectionPresent } from './test-file.js'

/** The committed table is what the generator makes of the corpus; the keyword lookup reads it right. */

const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1')

t.test('keyword lookup', async t => {
  t.equal(keywordType(bytes('select'), 0, 6), 'E'.charCodeAt(0), 'SELECT, any case, is an expression')
  t.equal(keywordType(bytes('UnIoN'), 0, 5), 'U'.charCodeAt(0))
  t.equal(keywordType(bytes('xUNION ALLx'), 1, 9), 'U'.charCodeAt(0), 'a phrase, inside a buffer')
  t.equal(keywordType(bytes('0S&1C'), 0, 5), 'F'.charCodeAt(0), 'fingerprints are keywords "0" + upper case')
  t.equal(keywordType(bytes('selec'), 0, 5), 0, 'a prefix is no keyword')
  t.equal(keywordType(bytes('sel\0ect'), 0, 7), 0, 'a NUL never matches')
  t.equal(keywordType(bytes('\xd3ELECT'), 0, 6), 0, 'a byte >= 0x80 is not case-folded')
  t.same(COMMITTED_CLASSES, CHAR_CLASSES, 'the committed classes are the generator\'s')
})

if (!libinjectionPresent()) {
  if (process.env.CI !== undefined) t.fail(`no libinjection corpus at ${libinjectionDir()} (set WAF_CORPUS)`)
  else t.test('generated table', { skip: `no libinjection corpus at ${libinjectionDir()} (set WAF_CORPUS): generated table not compared` }, async () => {})
} else {
  t.test('lib/rules/libinjection/data.ts is what scripts/gen-libinjection.mjs writes', async t => {
    t.equal(readFileSync(OUTPUT, 'utf8'), render(corpusDir()), 'rerun: node scripts/gen-libinjection.mjs')
  })
}
