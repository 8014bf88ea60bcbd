import type { TransformFn } from '../model.js'
import { base64Decode } from './base64-decode.js'
import { base64DecodeExt } from './base64-decode-ext.js'
import { base64Encode } from './base64-encode.js'
import { cmdLine } from './cmd-line.js'
import { compressWhitespace } from './compress-whitespace.js'
import { cssDecode } from './css-decode.js'
import { escapeSeqDecode } from './escape-seq-decode.js'
import { hexDecode } from './hex-decode.js'
import { hexEncode } from './hex-encode.js'
import { htmlEntityDecode } from './html-entity-decode.js'
import { jsDecode } from './js-decode.js'
import { length } from './length.js'
import { lowercase } from './lowercase.js'
import { md5 } from './md5.js'
import { none } from './none.js'
import { normalizePath } from './normalize-path.js'
import { normalizePathWin } from './normalize-path-win.js'
import { removeComments } from './remove-comments.js'
import { removeCommentsChar } from './remove-comments-char.js'
import { removeNulls } from './remove-nulls.js'
import { removeWhitespace } from './remove-whitespace.js'
import { replaceComments } from './replace-comments.js'
import { replaceNulls } from './replace-nulls.js'
import { sha1 } from './sha1.js'
import { sqlHexDecode } from './sql-hex-decode.js'
import { trim } from './trim.js'
import { trimLeft } from './trim-left.js'
import { trimRight } from './trim-right.js'
import { uppercase } from './uppercase.js'
import { urlDecode } from './url-decode.js'
import { urlDecodeUni } from './url-decode-uni.js'
import { urlEncode } from './url-encode.js'
import { utf8toUnicode } from './utf8-to-unicode.js'

/**
 * The transformation registry. Names are matched case-insensitively (`t:base64decode` occurs in
 * the CRS); the registered spelling is the one reported.
 */
export interface RegisteredTransformation {
  name: string
  fn: TransformFn
  /**
   * The body of a regex character class (`%+`, `A-Z`) such that a value with none of these
   * characters is returned unchanged; undefined when any value may change.
   */
  trigger: string | undefined
}

const registry = new Map<string, RegisteredTransformation>()

export function registerTransformation (name: string, fn: TransformFn, trigger?: string): void {
  if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9]*$/.test(name)) throw new TypeError(`registerTransformation: invalid name ${JSON.stringify(name)}`)
  if (typeof fn !== 'function') throw new TypeError(`registerTransformation: "${name}" needs a function`)
  if (trigger !== undefined) {
    try {
      void new RegExp(`[${trigger}]`)
    } catch {
      throw new TypeError(`registerTransformation: "${name}": trigger must be the body of a character class`)
    }
  }
  registry.set(name.toLowerCase(), { name, fn, trigger })
}

/** The transformation of that name, or undefined. */
export function getTransformation (name: string): RegisteredTransformation | undefined {
  return registry.get(name.toLowerCase())
}

export function transformationNames (): string[] {
  return [...registry.values()].map(t => t.name).sort()
}

const BUILTIN: Record<string, TransformFn> = {
  none, lowercase, uppercase, urlDecode, urlDecodeUni, urlEncode, htmlEntityDecode, jsDecode, cssDecode,
  base64Decode, base64DecodeExt, base64Encode, hexDecode, hexEncode, sqlHexDecode, removeNulls, replaceNulls,
  compressWhitespace, removeWhitespace, removeComments, replaceComments, removeCommentsChar, normalizePath,
  normalizePathWin, cmdLine, utf8toUnicode, escapeSeqDecode, trim, trimLeft, trimRight, length, sha1, md5
}
/** What can change a value, per transformation (absent: anything can). */
const TRIGGERS: Record<string, string> = {
  lowercase: 'A-Z',
  uppercase: 'a-z',
  urlDecode: '%+',
  urlDecodeUni: '%+',
  htmlEntityDecode: '&',
  jsDecode: '\\\\',
  cssDecode: '\\\\',
  escapeSeqDecode: '\\\\',
  removeNulls: '\\0',
  replaceNulls: '\\0',
  removeWhitespace: ' \\t\\n\\v\\f\\r\\xa0',
  removeComments: '/<#\\-',
  replaceComments: '/',
  removeCommentsChar: '/*<#\\-',
  normalizePath: '/.',
  normalizePathWin: '/.\\\\',
  cmdLine: ' \\t\\r\\n\\\\"\'^,;/(A-Z',
  utf8toUnicode: '\\x80-\\xff',
  trim: ' \\t\\n\\v\\f\\r',
  trimLeft: ' \\t\\n\\v\\f\\r',
  trimRight: ' \\t\\n\\v\\f\\r',
  sqlHexDecode: 'xX'
}
for (const [name, fn] of Object.entries(BUILTIN)) registerTransformation(name, fn, TRIGGERS[name])
// ModSecurity spells these two ways.
registerTransformation('normalisePath', normalizePath, TRIGGERS.normalizePath)
registerTransformation('normalisePathWin', normalizePathWin, TRIGGERS.normalizePathWin)
