import { keywordType } from './keywords.js'
import { fold } from './sqli-fold.js'
import {
  FLAG_QUOTE_DOUBLE, FLAG_QUOTE_NONE, FLAG_QUOTE_SINGLE, FLAG_SQL_ANSI, FLAG_SQL_MYSQL, SqliState, T, tokenIs
} from './sqli-tokenizer.js'

/**
 * libinjection's verdict: the fingerprint of the folded tokens (libinjection_sqli_fingerprint),
 * looked up among the known SQLi fingerprints (blacklist), then the checks that keep short
 * fingerprints of ordinary text out (not_whitelist), tried as libinjection_is_sqli tries them:
 * as is, as if a single quote or a double quote came before the input, in ANSI then MySQL mode.
 */

const TICK = 0x60
const fp2 = new Uint8Array(8)

/** Folds the input under `flags` and fills state.fingerprint. */
export function fingerprint (sf: SqliState, flags: number): void {
  sf.init(sf.s, sf.slen, flags)
  const tlen = fold(sf)
  const v = sf.tokens
  // PHP's magic backquote comment: an empty, unclosed backtick word at the end
  if (tlen > 2) {
    const last = v[tlen - 1]!
    if (last.type === T.BAREWORD && last.strOpen === TICK && last.len === 0 && last.strClose === 0) last.type = T.COMMENT
  }
  for (let i = 0; i < tlen; i++) sf.fingerprint[i] = v[i]!.type
  sf.fingerprint[tlen] = 0
  // strlen(): the fingerprint ends at its first 0
  let len = 0
  while (len < tlen && sf.fingerprint[len] !== 0) len++
  sf.fingerprintLength = len
  // An 'X' (unparsable: nested or MySQL comments ...) makes the whole fingerprint "X".
  const x = sf.fingerprint.indexOf(T.EVIL)
  if (x !== -1 && x < len) {
    sf.fingerprint.fill(0)
    sf.fingerprint[0] = T.EVIL
    sf.fingerprintLength = 1
    v[0]!.val.fill(0)
    v[0]!.type = T.EVIL
    v[0]!.val[0] = T.EVIL
    v[1]!.type = 0
  }
}

/** Whether the fingerprint is a known SQLi one ("0" + its upper-cased types, type F). */
function blacklisted (sf: SqliState): boolean {
  const len = sf.fingerprintLength
  if (len < 1) return false
  fp2[0] = 0x30
  for (let i = 0; i < len; i++) {
    let c = sf.fingerprint[i]!
    if (c >= 0x61 && c <= 0x7a) c -= 0x20
    fp2[i + 1] = c
  }
  return keywordType(fp2, 0, len + 1) === T.FINGERPRINT
}

const SP_PASSWORD = new Uint8Array([...'sp_password'].map(c => c.charCodeAt(0)))

function containsSpPassword (s: Uint8Array, slen: number): boolean {
  const n = SP_PASSWORD.length
  for (let i = 0; i + n <= slen; i++) {
    let k = 0
    while (k < n && s[i + k] === SP_PASSWORD[k]) k++
    if (k === n) return true
  }
  return false
}

function fingerprintIs (sf: SqliState, text: string): boolean {
  if (sf.fingerprintLength !== text.length) return false
  for (let i = 0; i < text.length; i++) if (sf.fingerprint[i] !== text.charCodeAt(i)) return false
  return true
}

/** True unless the fingerprint, though known, looks like ordinary text here. */
function notWhitelisted (sf: SqliState): boolean {
  const tlen = sf.fingerprintLength
  const fp = sf.fingerprint
  const v = sf.tokens
  // MS SQL's audit log skips anything with sp_password in it
  if (tlen > 1 && fp[tlen - 1] === T.COMMENT && containsSpPassword(sf.s, sf.slen)) return true
  switch (tlen) {
    case 2: {
      if (fp[1] === T.UNION) return sf.statsTokens !== 2 // "1 union" alone is ordinary
      if (v[1]!.val[0] === 0x23) return false // a '#' comment: too many false positives
      // "nc": only a /* comment is SQL
      if (v[0]!.type === T.BAREWORD && v[1]!.type === T.COMMENT && v[1]!.val[0] !== 0x2f) return false
      if (v[0]!.type === T.NUMBER && v[1]!.type === T.COMMENT && v[1]!.val[0] === 0x2f) return true
      if (v[0]!.type === T.NUMBER && v[1]!.type === T.COMMENT) {
        if (sf.statsTokens > 2) return true // folding went on: likely SQLi
        // the number must end in whitespace, "/*" or "--" in the input itself
        const ch = byteAt(sf, v[0]!.len)
        if (signed(ch) <= 32) return true
        if (ch === 0x2f && byteAt(sf, v[0]!.len + 1) === 0x2a) return true
        if (ch === 0x2d && byteAt(sf, v[0]!.len + 1) === 0x2d) return true
        return false
      }
      // "1-- foo" is text, "1--" at the end a scan
      if (v[1]!.len > 2 && v[1]!.val[0] === 0x2d) return false
      break
    }
    case 3: {
      if (fingerprintIs(sf, 'sos') || fingerprintIs(sf, 's&s')) {
        // ...foo' + 'bar...: no opening quote, no closing quote
        return v[0]!.strOpen === 0 && v[2]!.strClose === 0 && v[0]!.strClose === v[2]!.strOpen
      } else if (fingerprintIs(sf, 's&n') || fingerprintIs(sf, 'n&1') || fingerprintIs(sf, '1&1') || fingerprintIs(sf, '1&v') || fingerprintIs(sf, '1&s')) {
        if (sf.statsTokens === 3) return false // 'sexy and 17' is no SQLi, 'sexy and 17<18' is
      } else if (v[1]!.type === T.KEYWORD) {
        // only INTO OUTFILE / INTO DUMPFILE
        if (v[1]!.len < 5 || !startsWithInto(v[1]!.val)) return false
      }
      break
    }
  }
  return true
}

function startsWithInto (val: Uint8Array): boolean {
  const w = 'INTO'
  for (let i = 0; i < 4; i++) {
    let c = val[i]!
    if (c >= 0x61 && c <= 0x7a) c -= 0x20
    if (c !== w.charCodeAt(i)) return false
  }
  return true
}

/** The input byte at i; past the end, the NUL of a C string. */
function byteAt (sf: SqliState, i: number): number {
  return i < sf.slen ? sf.s[i]! : 0
}

/** A byte as libinjection's signed char. */
function signed (c: number): number {
  return c >= 0x80 ? c - 0x100 : c
}

function checkFingerprint (sf: SqliState): boolean {
  return blacklisted(sf) && notWhitelisted(sf)
}

function reparseAsMysql (sf: SqliState): boolean {
  return sf.statsCommentDdx !== 0 || sf.statsCommentHash !== 0
}

/** Fingerprints the input under `flags` and checks it; then, when the input had comments that MySQL reads otherwise, again in MySQL mode. */
function tryContext (sf: SqliState, quote: number, mysqlToo: boolean): boolean {
  fingerprint(sf, quote | FLAG_SQL_ANSI)
  if (checkFingerprint(sf)) return true
  if (mysqlToo && reparseAsMysql(sf)) {
    fingerprint(sf, quote | FLAG_SQL_MYSQL)
    if (checkFingerprint(sf)) return true
  }
  return false
}

/** libinjection_is_sqli: true when some context yields a SQLi fingerprint, left in state.fingerprint. */
export function isSqli (sf: SqliState): boolean {
  if (sf.slen === 0) return false
  if (tryContext(sf, FLAG_QUOTE_NONE, true)) return true
  // as if a single quote came before the input: "1' = 1" as "'1' = 1"
  if (hasByte(sf, 0x27) && tryContext(sf, FLAG_QUOTE_SINGLE, true)) return true
  // and a double quote: MySQL mode only
  if (hasByte(sf, 0x22)) {
    fingerprint(sf, FLAG_QUOTE_DOUBLE | FLAG_SQL_MYSQL)
    if (checkFingerprint(sf)) return true
  }
  return false
}

function hasByte (sf: SqliState, c: number): boolean {
  const s = sf.s
  for (let i = 0; i < sf.slen; i++) if (s[i] === c) return true
  return false
}

/** The fingerprint as text. */
export function fingerprintText (sf: SqliState): string {
  let out = ''
  for (let i = 0; i < sf.fingerprintLength; i++) out += String.fromCharCode(sf.fingerprint[i]!)
  return out
}

export { tokenIs }
