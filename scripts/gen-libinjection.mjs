#!/usr/bin/env node
/**
 * Writes lib/rules/libinjection/data.ts, the tables of the libinjection detectors, from
 * libinjection's own data (`sqlparse_data.json`: keywords, character map, fingerprints), the way
 * libinjection's sqlparse2c.py builds libinjection_sqli_data.h: each fingerprint becomes the
 * keyword "0" + its upper-cased form of type 'F', every keyword is upper-cased, the table sorted.
 *
 *   node scripts/gen-libinjection.mjs [corpus-dir]   (default: $WAF_CORPUS or ../shared/corpus)
 *
 * `render(dir)` returns the file's text; the test suite compares it with the committed file.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = fileURLToPath(new URL('.', import.meta.url))
export const DEFAULT_CORPUS = process.env.WAF_CORPUS ?? join(HERE, '..', '..', 'shared', 'corpus')
export const OUTPUT = join(HERE, '..', 'lib', 'rules', 'libinjection', 'data.ts')

/** The character classes of sqlparse_data.json, in the order of the tokenizer's parser table. */
export const CHAR_CLASSES = [
  'CHAR_WHITE', 'CHAR_WORD', 'CHAR_OP1', 'CHAR_UNARY', 'CHAR_OP2', 'CHAR_BANG', 'CHAR_BACK', 'CHAR_DASH',
  'CHAR_STR', 'CHAR_HASH', 'CHAR_NUM', 'CHAR_SLASH', 'CHAR_SEMICOLON', 'CHAR_COMMA', 'CHAR_LEFTPARENS',
  'CHAR_RIGHTPARENS', 'CHAR_LEFTBRACE', 'CHAR_RIGHTBRACE', 'CHAR_VAR', 'CHAR_OTHER', 'CHAR_MONEY',
  'CHAR_TICK', 'CHAR_USTRING', 'CHAR_QSTRING', 'CHAR_NQSTRING', 'CHAR_XSTRING', 'CHAR_BSTRING',
  'CHAR_ESTRING', 'CHAR_BWORD'
]

export function render (dir) {
  const base = join(dir, 'libinjection')
  const data = JSON.parse(readFileSync(join(base, 'sqlparse_data.json'), 'utf8'))
  const copying = readFileSync(join(base, 'COPYING'), 'utf8').trimEnd()
  if (!Array.isArray(data.charmap) || data.charmap.length !== 256) throw new Error('sqlparse_data.json: charmap must list 256 classes')
  const classes = data.charmap.map((name, i) => {
    const k = CHAR_CLASSES.indexOf(name)
    if (k < 0) throw new Error(`sqlparse_data.json: charmap[${i}]: unknown class ${name}`)
    return k
  })
  const keywords = new Map()
  for (const [word, type] of Object.entries(data.keywords)) keywords.set(word.toUpperCase(), type)
  for (const fp of data.fingerprints) keywords.set('0' + fp.toUpperCase(), 'F')
  const sorted = [...keywords.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  for (const k of sorted) {
    if (k.length > 31) throw new Error(`sqlparse_data.json: keyword ${k} longer than 31 bytes`)
    const t = keywords.get(k)
    if (typeof t !== 'string' || t.length !== 1) throw new Error(`sqlparse_data.json: keyword ${k}: bad type ${JSON.stringify(t)}`)
  }
  const out = []
  out.push('// GENERATED FILE: do not edit. Written by scripts/gen-libinjection.mjs from')
  out.push('// libinjection/sqlparse_data.json of the shared corpus (libinjection/libinjection at 85e252a):')
  out.push(`// ${data.charmap.length} character classes, ${Object.keys(data.keywords).length} keywords, ${data.fingerprints.length} fingerprints.`)
  out.push('//')
  out.push('// The data is libinjection\'s, under its licence:')
  out.push('//')
  for (const line of copying.split('\n')) out.push(line.length > 0 ? `// ${line}` : '//')
  out.push('')
  out.push('/** Indices into CHAR_CLASSES, one per byte value. */')
  out.push('export const CHAR_CLASS_OF_BYTE: readonly number[] = [')
  for (let i = 0; i < 256; i += 16) out.push('  ' + classes.slice(i, i + 16).join(', ') + ',')
  out.push(']')
  out.push('')
  out.push('/** The character classes, in the order of CHAR_CLASS_OF_BYTE\'s indices. */')
  out.push('export const CHAR_CLASSES: readonly string[] = [')
  for (const c of CHAR_CLASSES) out.push(`  '${c}',`)
  out.push(']')
  out.push('')
  out.push('/** The keyword table: upper-case word, tab, token type; one a line, sorted (fingerprints are "0" + fingerprint, type F). */')
  out.push('export const SQL_KEYWORDS: string = `')
  for (const k of sorted) out.push(`${k.replace(/[`\\$]/g, c => '\\' + c)}\t${keywords.get(k)}`)
  out.push('`')
  out.push('')
  return out.join('\n')
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = process.argv[2] ?? DEFAULT_CORPUS
  writeFileSync(OUTPUT, render(dir))
  process.stdout.write(`wrote ${OUTPUT} from ${dir}\n`)
}
