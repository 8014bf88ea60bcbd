import { fingerprintText, isSqli } from './sqli-check.js'
import { SqliState } from './sqli-tokenizer.js'
import { isXss } from './xss-check.js'
import { cannotBeSqli, cannotBeXss } from './shortcuts.js'

/**
 * libinjection's SQLi and XSS detectors, in TypeScript, byte for byte: the same verdict (and
 * fingerprint) as libinjection for the same bytes. A string means its UTF-8 bytes. Each call
 * reuses one state and one scratch buffer: nothing is allocated per token.
 */

const state = new SqliState()
let scratch = new Uint8Array(4096)
const encoder = new TextEncoder()

function room (n: number): Uint8Array {
  if (scratch.length < n) scratch = new Uint8Array(Math.max(n, scratch.length * 2))
  return scratch
}

/** The UTF-8 bytes of `text` into the scratch buffer; their count. */
function utf8 (text: string): number {
  const buf = room(text.length * 3)
  return encoder.encodeInto(text, buf).written
}

/**
 * A byte string (one char per byte, as the rule engine holds values) into the scratch buffer;
 * their count. A char above 0xFF makes it text: its UTF-8 bytes then.
 */
function bytesOf (value: string): number {
  const n = value.length
  const buf = room(n)
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i)
    if (c > 0xff) return utf8(value)
    buf[i] = c
  }
  return n
}

function sqliOf (bytes: Uint8Array, len: number): string | null {
  if (cannotBeSqli(bytes, len)) return null
  state.init(bytes, len, 0)
  return isSqli(state) ? fingerprintText(state) : null
}

function xssOf (bytes: Uint8Array, len: number): boolean {
  return !cannotBeXss(bytes, len) && isXss(bytes, len)
}

/** libinjection_sqli: the SQLi fingerprint of the input ("s&1c" ...), or null when it is none. */
export function detectSQLi (input: Uint8Array | string): string | null {
  if (typeof input === 'string') {
    const n = utf8(input)
    return sqliOf(scratch, n)
  }
  return sqliOf(input, input.length)
}

/** libinjection_xss: whether the input is XSS in some HTML context. */
export function detectXSS (input: Uint8Array | string): boolean {
  if (typeof input === 'string') {
    const n = utf8(input)
    return xssOf(scratch, n)
  }
  return xssOf(input, input.length)
}

/** detectSQLi on a byte string (a char per byte), the rule engine's values. */
export function detectSQLiInByteString (value: string): string | null {
  const n = bytesOf(value)
  return sqliOf(scratch, n)
}

/** detectXSS on a byte string (a char per byte), the rule engine's values. */
export function detectXSSInByteString (value: string): boolean {
  const n = bytesOf(value)
  return xssOf(scratch, n)
}
