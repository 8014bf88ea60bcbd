import { H5, H5_FLAGS, Html5State } from './html5-tokenizer.js'
import { BLACK_ATTRIBUTES, BLACK_EVENTS, BLACK_TAGS, ATTR } from './xss-lists.js'

/**
 * libinjection's XSS check (libinjection_xss.c): the input is tokenized as HTML in each context
 * it might land in (text, or inside an unquoted, single-, double- or back-quoted attribute
 * value), and it is XSS when a token is dangerous: a doctype, a blacklisted tag, an event
 * handler or other blacklisted attribute, a URL attribute whose value is a javascript:, data:,
 * vbscript: or view-source: URL, a style, or a comment that IE would act on.
 */

const h5 = new Html5State()

/** Names bucketed by first letter: a name can only match a token whose first non-NUL byte is its first letter. */
function byFirstLetter<E> (items: readonly E[], name: (e: E) => string): E[][] {
  const buckets: E[][] = Array.from({ length: 26 }, () => [])
  for (const e of items) buckets[name(e).charCodeAt(0) - 0x41]!.push(e)
  return buckets
}
const EVENTS_BY_LETTER = byFirstLetter(BLACK_EVENTS, e => e)
const ATTRIBUTES_BY_LETTER = byFirstLetter(BLACK_ATTRIBUTES, a => a[0])
const TAGS_BY_LETTER = byFirstLetter(BLACK_TAGS, t => t)

/** The bucket index (0-25) of the first non-NUL byte from `off`, upper-cased, or -1 when it is no letter. */
function letterAt (s: Uint8Array, off: number, end: number): number {
  while (off < end && s[off] === 0) off++
  if (off >= end) return -1
  const c = s[off]! & 0xdf
  return c >= 0x41 && c <= 0x5a && (s[off]! < 0x80) ? c - 0x41 : -1
}

/**
 * cstrcasecmp_with_null(a, s + off, n) == 0: the n bytes from `off`, NULs skipped and a-z
 * upper-cased, spell the upper-case `a` exactly. Bytes past the input read as NUL (the C
 * string's terminator).
 */
function equalsSkippingNul (a: string, s: Uint8Array, off: number, n: number, end: number): boolean {
  let ai = 0
  for (let i = 0; i < n; i++) {
    let c = off + i < end ? s[off + i]! : 0
    if (c === 0) continue
    if (ai >= a.length) return false
    if (c >= 0x61 && c <= 0x7a) c -= 0x20
    if (a.charCodeAt(ai++) !== c) return false
  }
  return ai === a.length
}

function isBlackTag (s: Uint8Array, off: number, len: number, end: number): boolean {
  if (len < 3) return false
  const letter = letterAt(s, off, off + len)
  if (letter !== -1) for (const tag of TAGS_BY_LETTER[letter]!) if (equalsSkippingNul(tag, s, off, len, end)) return true
  const c0 = s[off]! | 0x20
  const c1 = s[off + 1]! | 0x20
  const c2 = s[off + 2]! | 0x20
  if (c0 === 0x73 && c1 === 0x76 && c2 === 0x67) return true // anything SVG
  if (c0 === 0x78 && c1 === 0x73 && c2 === 0x6c) return true // anything XSL(T)
  return false
}

function isBlackAttr (s: Uint8Array, off: number, len: number, end: number): number {
  if (len < 2) return ATTR.NONE
  if (len >= 5) {
    // JavaScript on* event handlers: the name after "on" starts with a known event
    if ((s[off]! | 0x20) === 0x6f && (s[off + 1]! | 0x20) === 0x6e) {
      const letter = letterAt(s, off + 2, end)
      if (letter !== -1) for (const e of EVENTS_BY_LETTER[letter]!) if (equalsSkippingNul(e, s, off + 2, e.length, end)) return ATTR.BLACK
    }
    // XMLNS and XLINK can make arbitrary tags
    if (equalsSkippingNul('XMLNS', s, off, 5, end) || equalsSkippingNul('XLINK', s, off, 5, end)) return ATTR.BLACK
  }
  const letter = letterAt(s, off, off + len)
  if (letter !== -1) for (const [name, type] of ATTRIBUTES_BY_LETTER[letter]!) if (equalsSkippingNul(name, s, off, len, end)) return type
  return ATTR.NONE
}

/** The character at `b` of an HTML-encoded string (&#65; &#x41;) and how many bytes it took (html_decode_char_at). */
let consumed = 0
function htmlDecodeCharAt (s: Uint8Array, b: number, len: number, end: number): number {
  if (len === 0) {
    consumed = 0
    return -1
  }
  consumed = 1
  if (s[b] !== 0x26 || len < 2) return s[b]!
  if (s[b + 1] !== 0x23) return 0x26 // named entities: only '&' matters here
  const at = (i: number): number => (b + i < end ? s[b + i]! : 0)
  if (at(2) === 0x78 || at(2) === 0x58) {
    let ch = hexValue(at(3))
    if (ch === 256) return 0x26
    let val = ch
    let i = 4
    while (i < len) {
      const c = s[b + i]!
      if (c === 0x3b) {
        consumed = i + 1
        return val
      }
      ch = hexValue(c)
      if (ch === 256) {
        consumed = i
        return val
      }
      val = val * 16 + ch
      if (val > 0x1000ff) return 0x26
      ++i
    }
    consumed = i
    return val
  }
  let i = 2
  let c = at(i)
  if (c < 0x30 || c > 0x39) return 0x26
  let val = c - 0x30
  i += 1
  while (i < len) {
    c = s[b + i]!
    if (c === 0x3b) {
      consumed = i + 1
      return val
    }
    if (c < 0x30 || c > 0x39) {
      consumed = i
      return val
    }
    val = val * 10 + (c - 0x30)
    if (val > 0x1000ff) return 0x26
    ++i
  }
  consumed = i
  return val
}

function hexValue (c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10
  return 256
}

/** Whether the HTML-encoded s[b, b + n) starts with the upper-case `prefix`, ignoring leading controls, NUL and \n (htmlencode_startswith). */
function htmlEncodedStartsWith (prefix: string, s: Uint8Array, b: number, n: number, end: number): boolean {
  let ai = 0
  let first = true
  while (n > 0) {
    if (ai === prefix.length) return true
    let cb = htmlDecodeCharAt(s, b, n, end)
    b += consumed
    n -= consumed
    if (first && cb <= 32) continue
    first = false
    if (cb === 0) continue
    if (cb === 10) continue
    if (cb >= 0x61 && cb <= 0x7a) cb -= 0x20
    // libinjection compares a char with (char)cb: only the low byte of the decoded value counts
    if (prefix.charCodeAt(ai) !== (cb & 0xff)) return false
    ai++
  }
  return ai === prefix.length
}

function isBlackUrl (s: Uint8Array, off: number, len: number, end: number): boolean {
  // skip whitespace, controls and high bytes (Opera's UTF-8 whitespace, EUC-JP's ignored bytes)
  while (len > 0 && (s[off]! <= 32 || s[off]! >= 127)) {
    ++off
    --len
  }
  return htmlEncodedStartsWith('DATA', s, off, len, end) || htmlEncodedStartsWith('VIEW-SOURCE', s, off, len, end) ||
    htmlEncodedStartsWith('JAVA', s, off, len, end) || htmlEncodedStartsWith('VBSCRIPT', s, off, len, end)
}

/** libinjection_is_xss: XSS in one context (an H5_FLAGS value). */
export function isXssIn (s: Uint8Array, len: number, flags: number): boolean {
  h5.init(s, len, flags)
  let attr: number = ATTR.NONE
  while (h5.next()) {
    const type = h5.tokenType
    const off = h5.tokenStart
    const n = h5.tokenLen
    if (type !== H5.ATTR_VALUE) attr = ATTR.NONE
    if (type === H5.DOCTYPE) return true
    if (type === H5.TAG_NAME_OPEN) {
      if (isBlackTag(s, off, n, len)) return true
    } else if (type === H5.ATTR_NAME) {
      attr = isBlackAttr(s, off, n, len)
    } else if (type === H5.ATTR_VALUE) {
      switch (attr) {
        case ATTR.BLACK: return true
        case ATTR.URL: if (isBlackUrl(s, off, n, len)) return true; break
        case ATTR.STYLE: return true
        case ATTR.INDIRECT: if (isBlackAttr(s, off, n, len) !== ATTR.NONE) return true; break
      }
      attr = ATTR.NONE
    } else if (type === H5.TAG_COMMENT) {
      for (let i = off; i < off + n; i++) if (s[i] === 0x60) return true // IE ends tags with '`'
      if (n > 3) {
        const c1 = s[off + 1]! | 0x20
        const c2 = s[off + 2]! | 0x20
        if (s[off] === 0x5b && c1 === 0x69 && c2 === 0x66) return true // IE's [if conditional comment
        if ((s[off]! | 0x20) === 0x78 && c1 === 0x6d && c2 === 0x6c) return true // xml
      }
      if (n > 5) {
        if (equalsSkippingNul('IMPORT', s, off, 6, len)) return true // IE's <?import
        if (equalsSkippingNul('ENTITY', s, off, 6, len)) return true // XML entity definition
      }
    }
  }
  return false
}

/** libinjection_xss: XSS in any of the five contexts. */
export function isXss (s: Uint8Array, len: number): boolean {
  return isXssIn(s, len, H5_FLAGS.DATA_STATE) || isXssIn(s, len, H5_FLAGS.VALUE_NO_QUOTE) ||
    isXssIn(s, len, H5_FLAGS.VALUE_SINGLE_QUOTE) || isXssIn(s, len, H5_FLAGS.VALUE_DOUBLE_QUOTE) ||
    isXssIn(s, len, H5_FLAGS.VALUE_BACK_QUOTE)
}
