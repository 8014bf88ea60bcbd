import type { MatchContext, Operator, OperatorEnv, OperatorFactory } from '../../model.js'
import { registerOperator } from '../../operators/index.js'
import { phraseMatcher } from '../../operators/pm.js'
import { compileIpMatch } from './ip-match.js'
import { readPhraseFiles } from './pm-from-file.js'
import { compileValidateByteRange, byteRangePrefilter } from './validate-byte-range.js'
import { validateUrlEncoding } from './validate-url-encoding.js'
import { validateUtf8Encoding } from './validate-utf8-encoding.js'
import { readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'

/**
 * The SecLang operators the engine's own registry lacks, registered into it (so YAML rules
 * may use them too). `detectSQLi` / `detectXSS` (libinjection) are in the engine's own registry.
 */

function predicate (name: string, argument: string, test: (value: string) => boolean): Operator {
  return {
    name,
    argument,
    match (value: string, ctx: MatchContext): boolean {
      if (!test(value)) return false
      ctx.matched = value
      if (ctx.capture) ctx.setCapture(0, value)
      return true
    }
  }
}

export const validateByteRange: OperatorFactory = (argument: string): Operator => ({
  ...predicate('validateByteRange', argument, compileValidateByteRange(argument)),
  prefilter: byteRangePrefilter(argument)
})

export const validateUrlEncodingOp: OperatorFactory = (argument: string): Operator =>
  ({ ...predicate('validateUrlEncoding', argument, validateUrlEncoding), prefilter: '%' })

export const validateUtf8EncodingOp: OperatorFactory = (argument: string): Operator =>
  ({ ...predicate('validateUtf8Encoding', argument, validateUtf8Encoding), prefilter: '[\\x{80}-\\x{ff}]' })

export const ipMatch: OperatorFactory = (argument: string): Operator =>
  predicate('ipMatch', argument, compileIpMatch(argument))

/** `@ipMatchFromFile list.txt`: addresses and blocks, one a line, beside the rule file. */
export const ipMatchFromFile: OperatorFactory = (argument: string, env: OperatorEnv): Operator => {
  const path = isAbsolute(argument.trim()) ? argument.trim() : resolve(env.dir, argument.trim())
  let text: string
  try {
    text = readFileSync(path, 'latin1')
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  const list = text.split(/\r?\n/).map(l => l.trim()).filter(l => l.length > 0 && !l.startsWith('#'))
  return predicate('ipMatchFromFile', argument, compileIpMatch(list.join(',')))
}

/** `@pmFromFile a.data b.data`: `pm` over the phrases of files beside the rule file. */
export const pmFromFile: OperatorFactory = (argument: string, env: OperatorEnv): Operator =>
  phraseMatcher('pmFromFile', argument, readPhraseFiles(argument, resolve(env.dir, '_')))

const SECLANG_OPERATORS: Record<string, OperatorFactory> = {
  validateByteRange,
  validateUrlEncoding: validateUrlEncodingOp,
  validateUtf8Encoding: validateUtf8EncodingOp,
  ipMatch,
  ipMatchFromFile,
  ipMatchF: ipMatchFromFile,
  pmFromFile,
  pmf: pmFromFile
}

for (const [name, factory] of Object.entries(SECLANG_OPERATORS)) registerOperator(name, factory)
