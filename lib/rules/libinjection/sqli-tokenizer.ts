import { CHAR_CLASS_OF_BYTE } from './data.js'
import { keywordType } from './keywords.js'

/**
 * libinjection's SQL tokenizer (libinjection_sqli_tokenize and its parse_* functions), on bytes.
 * Tokens are reused objects holding at most 31 bytes of value, as libinjection's stoken_t;
 * tokenizing allocates nothing.
 */

/** Token types: the character codes libinjection uses in fingerprints. */
export const T = {
  NONE: 0,
  KEYWORD: 0x6b, // k
  UNION: 0x55, // U
  GROUP: 0x42, // B
  EXPRESSION: 0x45, // E
  SQLTYPE: 0x74, // t
  FUNCTION: 0x66, // f
  BAREWORD: 0x6e, // n
  NUMBER: 0x31, // 1
  VARIABLE: 0x76, // v
  STRING: 0x73, // s
  OPERATOR: 0x6f, // o
  LOGIC_OPERATOR: 0x26, // &
  COMMENT: 0x63, // c
  COLLATE: 0x41, // A
  LEFTPARENS: 0x28,
  RIGHTPARENS: 0x29,
  LEFTBRACE: 0x7b,
  RIGHTBRACE: 0x7d,
  DOT: 0x2e,
  COMMA: 0x2c,
  COLON: 0x3a,
  SEMICOLON: 0x3b,
  TSQL: 0x54, // T
  UNKNOWN: 0x3f, // ?
  EVIL: 0x58, // X
  FINGERPRINT: 0x46, // F
  BACKSLASH: 0x5c
} as const

export const FLAG_QUOTE_NONE = 1
export const FLAG_QUOTE_SINGLE = 2
export const FLAG_QUOTE_DOUBLE = 4
export const FLAG_SQL_ANSI = 8
export const FLAG_SQL_MYSQL = 16

/** The size of a token's value buffer: values keep at most TOKEN_SIZE - 1 bytes. */
export const TOKEN_SIZE = 32

const SINGLE = 0x27
const DOUBLE = 0x22
const TICK = 0x60
const BACKSLASH = 0x5c

export class SqliToken {
  type = 0
  pos = 0
  len = 0
  /** Number of `@` of a variable (1 or 2). */
  count = 0
  /** The quote that opened / closed a string, 0 when none. */
  strOpen = 0
  strClose = 0
  readonly val = new Uint8Array(TOKEN_SIZE)

  clear (): void {
    this.type = 0
    this.pos = 0
    this.len = 0
    this.count = 0
    this.strOpen = 0
    this.strClose = 0
    // values are read up to their length or NUL, and every assignment ends with a NUL
    this.val[0] = 0
  }

  assign (type: number, pos: number, len: number, src: Uint8Array, from: number): void {
    const last = len < TOKEN_SIZE ? len : TOKEN_SIZE - 1
    this.type = type
    this.pos = pos
    this.len = last
    for (let i = 0; i < last; i++) this.val[i] = src[from + i]!
    this.val[last] = 0
  }

  assignChar (type: number, pos: number, value: number): void {
    this.type = type
    this.pos = pos
    this.len = 1
    this.val[0] = value
    this.val[1] = 0
  }

  copyFrom (src: SqliToken): void {
    this.type = src.type
    this.pos = src.pos
    this.len = src.len
    this.count = src.count
    this.strOpen = src.strOpen
    this.strClose = src.strClose
    for (let i = 0; i <= src.len; i++) this.val[i] = src.val[i]!
  }

  /** The value's bytes up to its first NUL, as a latin1 string (what libinjection prints with %s). */
  text (): string {
    let s = ''
    for (let i = 0; i < TOKEN_SIZE && this.val[i] !== 0; i++) s += String.fromCharCode(this.val[i]!)
    return s
  }
}

/** ASCII case-insensitive equality of a token's value with an upper-case word (cstrcasecmp(word, val, len) == 0). */
export function tokenIs (t: SqliToken, word: string): boolean {
  if (t.len !== word.length) return false
  for (let i = 0; i < t.len; i++) {
    let c = t.val[i]!
    if (c >= 0x61 && c <= 0x7a) c -= 0x20
    if (c !== word.charCodeAt(i)) return false
  }
  return true
}

export function isArithmeticOp (t: SqliToken): boolean {
  const c = t.val[0]
  return t.type === T.OPERATOR && t.len === 1 && (c === 0x2a || c === 0x2f || c === 0x2d || c === 0x2b || c === 0x25)
}

export function isUnaryOp (t: SqliToken): boolean {
  if (t.type !== T.OPERATOR) return false
  const v = t.val
  switch (t.len) {
    case 1: return v[0] === 0x2b || v[0] === 0x2d || v[0] === 0x21 || v[0] === 0x7e
    case 2: return v[0] === 0x21 && v[1] === 0x21
    case 3: return tokenIs(t, 'NOT')
    default: return false
  }
}

/** ' ', \t, \n, \v, \f, \r, NUL and 0xA0 (char_is_white). */
export function isWhite (c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0 || c === 0xa0
}

// Byte sets of strlenspn / strlencspn. libinjection tests membership with strchr(), which also
// finds the terminating NUL: NUL belongs to every set.
function byteSet (chars: string): Uint8Array {
  const set = new Uint8Array(256)
  set[0] = 1
  for (let i = 0; i < chars.length; i++) set[chars.charCodeAt(i)] = 1
  return set
}
const WORD_END = byteSet(' []{}<>:\\?=@!#~+-*/&|^%(),\';\t\n\v\f\r"\xa0')
const VAR_END = byteSet(' <>:\\?=@!#~+-*/&|^%(),\';\t\n\v\f\r\'`"')
const BINARY_DIGITS = byteSet('01')
const HEX_DIGITS = byteSet('0123456789ABCDEFabcdef')
const MONEY_CHARS = byteSet('0123456789.,')
const LETTERS = byteSet('abcdefghjiklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ')

function spanIn (s: Uint8Array, from: number, end: number, set: Uint8Array): number {
  let i = from
  while (i < end && set[s[i]!] === 1) i++
  return i - from
}

function spanNotIn (s: Uint8Array, from: number, end: number, set: Uint8Array): number {
  let i = from
  while (i < end && set[s[i]!] !== 1) i++
  return i - from
}

/** The index of the first c, from `from` to `end`, or -1 (memchr). */
function indexOfByte (s: Uint8Array, c: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (s[i] === c) return i
  return -1
}

/** The index of the first "c0 c1" pair starting in [from, end - 1), or -1 (memchr2). */
function indexOfPair (s: Uint8Array, c0: number, c1: number, from: number, end: number): number {
  for (let i = from; i < end - 1; i++) if (s[i] === c0 && s[i + 1] === c1) return i
  return -1
}

/** The index of the first occurrence of s[needle, needle + n) in [from, end), or -1 (my_memmem). */
function indexOfRun (s: Uint8Array, from: number, end: number, needle: number, n: number): number {
  for (let i = from; i <= end - n; i++) {
    let k = 0
    while (k < n && s[i + k] === s[needle + k]) k++
    if (k === n) return i
  }
  return -1
}

/** The tokenizer's state (libinjection_sqli_state): input, flags, position, counters and tokens. */
export class SqliState {
  s: Uint8Array = new Uint8Array(0)
  slen = 0
  flags = 0
  pos = 0
  readonly tokens: SqliToken[] = Array.from({ length: 8 }, () => new SqliToken())
  current: SqliToken = this.tokens[0]!
  statsCommentDdx = 0
  statsCommentHash = 0
  statsTokens = 0
  statsFolds = 0
  /** The fingerprint, as token types (fingerprintLength of them). */
  readonly fingerprint = new Uint8Array(8)
  fingerprintLength = 0

  /** libinjection_sqli_init / reset: flags 0 means QUOTE_NONE | ANSI. */
  init (s: Uint8Array, slen: number, flags: number): void {
    this.s = s
    this.slen = slen
    this.flags = flags === 0 ? FLAG_QUOTE_NONE | FLAG_SQL_ANSI : flags
    this.pos = 0
    for (const t of this.tokens) t.clear()
    this.current = this.tokens[0]!
    this.statsCommentDdx = 0
    this.statsCommentHash = 0
    this.statsTokens = 0
    this.statsFolds = 0
    this.fingerprint.fill(0)
    this.fingerprintLength = 0
  }

  /** The next token into `current`; false at the end of input. */
  tokenize (): boolean {
    const s = this.s
    const slen = this.slen
    const current = this.current
    if (slen === 0) return false
    current.clear()
    // At the start, in a quote context, the input continues a string that a quote opened.
    if (this.pos === 0 && (this.flags & (FLAG_QUOTE_SINGLE | FLAG_QUOTE_DOUBLE)) !== 0) {
      const delim = (this.flags & FLAG_QUOTE_SINGLE) !== 0 ? SINGLE : DOUBLE
      this.pos = parseStringCore(s, slen, 0, current, delim, 0)
      this.statsTokens += 1
      return true
    }
    while (this.pos < slen) {
      this.pos = this.parse(CHAR_CLASS_OF_BYTE[s[this.pos]!]!)
      if (current.type !== 0) {
        this.statsTokens += 1
        return true
      }
    }
    return false
  }

  /** The parser of a character class (char_parse_map), by the class's index in CHAR_CLASSES. */
  private parse (charClass: number): number {
    switch (charClass) {
      case 0: return this.pos + 1 // CHAR_WHITE
      case 1: return this.parseWord()
      case 2: case 3: return this.parseOperator1() // CHAR_OP1, CHAR_UNARY
      case 4: case 5: return this.parseOperator2() // CHAR_OP2, CHAR_BANG
      case 6: return this.parseBackslash()
      case 7: return this.parseDash()
      case 8: return parseStringCore(this.s, this.slen, this.pos, this.current, this.s[this.pos]!, 1)
      case 9: return this.parseHash()
      case 10: return this.parseNumber()
      case 11: return this.parseSlash()
      case 12: case 13: case 14: case 15: case 16: case 17: { // ; , ( ) { }: the character is the type
        const c = this.s[this.pos]!
        this.current.assignChar(c, this.pos, c)
        return this.pos + 1
      }
      case 18: return this.parseVar()
      case 19: this.current.assignChar(T.UNKNOWN, this.pos, this.s[this.pos]!); return this.pos + 1
      case 20: return this.parseMoney()
      case 21: return this.parseTick()
      case 22: return this.parseUstring()
      case 23: return this.parseQstringCore(0)
      case 24: return this.parseNqstring()
      case 25: return this.parseXstring()
      case 26: return this.parseBstring()
      case 27: return this.parseEstring()
      case 28: return this.parseBword()
      default: throw new Error(`libinjection: unknown character class ${charClass}`)
    }
  }

  private parseOperator1 (): number {
    this.current.assignChar(T.OPERATOR, this.pos, this.s[this.pos]!)
    return this.pos + 1
  }

  private parseEolComment (): number {
    const { s, slen, pos } = this
    const nl = indexOfByte(s, 0x0a, pos, slen)
    if (nl === -1) {
      this.current.assign(T.COMMENT, pos, slen - pos, s, pos)
      return slen
    }
    this.current.assign(T.COMMENT, pos, nl - pos, s, pos)
    return nl + 1
  }

  /** `#`: an operator in ANSI mode, an end-of-line comment in MySQL mode. */
  private parseHash (): number {
    this.statsCommentHash += 1
    if ((this.flags & FLAG_SQL_MYSQL) !== 0) {
      this.statsCommentHash += 1
      return this.parseEolComment()
    }
    this.current.assignChar(T.OPERATOR, this.pos, 0x23)
    return this.pos + 1
  }

  private parseDash (): number {
    const { s, slen, pos } = this
    if (pos + 2 < slen && s[pos + 1] === 0x2d && isWhite(s[pos + 2]!)) return this.parseEolComment()
    if (pos + 2 === slen && s[pos + 1] === 0x2d) return this.parseEolComment()
    if (pos + 1 < slen && s[pos + 1] === 0x2d && (this.flags & FLAG_SQL_ANSI) !== 0) {
      this.statsCommentDdx += 1
      return this.parseEolComment()
    }
    this.current.assignChar(T.OPERATOR, pos, 0x2d)
    return pos + 1
  }

  private parseSlash (): number {
    const { s, slen, pos } = this
    if (pos + 1 === slen || s[pos + 1] !== 0x2a) return this.parseOperator1()
    const end = indexOfPair(s, 0x2a, 0x2f, pos + 2, slen)
    const clen = end === -1 ? slen - pos : end + 2 - pos
    let ctype: number = T.COMMENT
    // A nested "/*" (PostgreSQL nests comments) or a MySQL "/*!" comment: unparsable, evil.
    if (end !== -1 && indexOfPair(s, 0x2f, 0x2a, pos + 2, end + 1) !== -1) ctype = T.EVIL
    else if (pos + 2 < slen && s[pos + 2] === 0x21) ctype = T.EVIL
    this.current.assign(ctype, pos, clen, s, pos)
    return pos + clen
  }

  private parseBackslash (): number {
    const { s, slen, pos } = this
    // MySQL's \N is NULL
    if (pos + 1 < slen && s[pos + 1] === 0x4e) {
      this.current.assign(T.NUMBER, pos, 2, s, pos)
      return pos + 2
    }
    this.current.assignChar(T.BACKSLASH, pos, s[pos]!)
    return pos + 1
  }

  private parseOperator2 (): number {
    const { s, slen, pos } = this
    if (pos + 1 >= slen) return this.parseOperator1()
    if (pos + 2 < slen && s[pos] === 0x3c && s[pos + 1] === 0x3d && s[pos + 2] === 0x3e) {
      this.current.assign(T.OPERATOR, pos, 3, s, pos) // <=>
      return pos + 3
    }
    const type = keywordType(s, pos, 2)
    if (type !== 0) {
      this.current.assign(type, pos, 2, s, pos)
      return pos + 2
    }
    if (s[pos] === 0x3a) {
      this.current.assign(T.COLON, pos, 1, s, pos)
      return pos + 1
    }
    return this.parseOperator1()
  }

  private parseEstring (): number {
    const { s, slen, pos } = this
    if (pos + 2 >= slen || s[pos + 1] !== SINGLE) return this.parseWord()
    return parseStringCore(s, slen, pos, this.current, SINGLE, 2)
  }

  private parseUstring (): number {
    const { s, slen, pos } = this
    if (pos + 2 < slen && s[pos + 1] === 0x26 && s[pos + 2] === SINGLE) {
      this.pos += 2
      const next = parseStringCore(s, slen, this.pos, this.current, s[this.pos]!, 1)
      this.current.strOpen = 0x75 // u
      if (this.current.strClose === SINGLE) this.current.strClose = 0x75
      return next
    }
    return this.parseWord()
  }

  /** Oracle's q'[...]' strings. */
  private parseQstringCore (offset: number): number {
    const { s, slen } = this
    const pos = this.pos + offset
    if (pos >= slen || (s[pos] !== 0x71 && s[pos] !== 0x51) || pos + 2 >= slen || s[pos + 1] !== SINGLE) return this.parseWord()
    let ch = s[pos + 2]!
    // libinjection's char is signed: bytes >= 0x80 are < 33 too
    if (ch < 33 || ch >= 0x80) return this.parseWord()
    if (ch === 0x28) ch = 0x29
    else if (ch === 0x5b) ch = 0x5d
    else if (ch === 0x7b) ch = 0x7d
    else if (ch === 0x3c) ch = 0x3e
    const end = indexOfPair(s, ch, SINGLE, pos + 3, slen)
    if (end === -1) {
      this.current.assign(T.STRING, pos + 3, slen - pos - 3, s, pos + 3)
      this.current.strOpen = 0x71
      this.current.strClose = 0
      return slen
    }
    this.current.assign(T.STRING, pos + 3, end - pos - 3, s, pos + 3)
    this.current.strOpen = 0x71
    this.current.strClose = 0x71
    return end + 2
  }

  /** MySQL's N'...' or Oracle's nq'...'. */
  private parseNqstring (): number {
    if (this.pos + 2 < this.slen && this.s[this.pos + 1] === SINGLE) return this.parseEstring()
    return this.parseQstringCore(1)
  }

  /** b'0101' */
  private parseBstring (): number {
    return this.parseQuotedDigits(BINARY_DIGITS)
  }

  /** x'ABCD' */
  private parseXstring (): number {
    return this.parseQuotedDigits(HEX_DIGITS)
  }

  private parseQuotedDigits (digits: Uint8Array): number {
    const { s, slen, pos } = this
    if (pos + 2 >= slen || s[pos + 1] !== SINGLE) return this.parseWord()
    const wlen = spanIn(s, pos + 2, slen, digits)
    if (pos + 2 + wlen >= slen || s[pos + 2 + wlen] !== SINGLE) return this.parseWord()
    this.current.assign(T.NUMBER, pos, wlen + 3, s, pos)
    return pos + 2 + wlen + 1
  }

  /** SQL Server's [bracket words]. */
  // Shaped as parseEolComment: each parser follows its function in libinjection_sqli.c (parse_bword), so that the port reads against the C one to one.
  private parseBword (): number {
    const { s, slen, pos } = this
    const end = indexOfByte(s, 0x5d, pos, slen)
    if (end === -1) {
      this.current.assign(T.BAREWORD, pos, slen - pos, s, pos)
      return slen
    }
    this.current.assign(T.BAREWORD, pos, end - pos + 1, s, pos)
    return end + 1
  }

  private parseWord (): number {
    const { s, slen, pos } = this
    const current = this.current
    const wlen = spanNotIn(s, pos, slen, WORD_END)
    current.assign(T.BAREWORD, pos, wlen, s, pos)
    // "SELECT.1" or "SELECT`col`": a keyword before a '.' or '`' is a token of its own
    for (let i = 0; i < current.len; i++) {
      const d = current.val[i]
      if (d === 0x2e || d === TICK) {
        const type = keywordType(current.val, 0, i)
        if (type !== T.NONE && type !== T.BAREWORD) {
          current.clear()
          current.assign(type, pos, i, s, pos)
          return pos + i
        }
      }
    }
    if (wlen < TOKEN_SIZE) {
      const type = keywordType(current.val, 0, wlen)
      current.type = type === 0 ? T.BAREWORD : type
    }
    return pos + wlen
  }

  /** MySQL `backticks`: a bare word, or a function when the word is one. */
  private parseTick (): number {
    const next = parseStringCore(this.s, this.slen, this.pos, this.current, TICK, 1)
    const type = keywordType(this.current.val, 0, this.current.len)
    this.current.type = type === T.FUNCTION ? T.FUNCTION : T.BAREWORD
    return next
  }

  private parseVar (): number {
    const { s, slen } = this
    let pos = this.pos + 1
    if (pos < slen && s[pos] === 0x40) {
      pos += 1
      this.current.count = 2
    } else {
      this.current.count = 1
    }
    if (pos < slen) {
      if (s[pos] === TICK) {
        this.pos = pos
        const next = this.parseTick()
        this.current.type = T.VARIABLE
        return next
      } else if (s[pos] === SINGLE || s[pos] === DOUBLE) {
        this.pos = pos
        const next = parseStringCore(s, slen, pos, this.current, s[pos]!, 1)
        this.current.type = T.VARIABLE
        return next
      }
    }
    const xlen = spanNotIn(s, pos, slen, VAR_END)
    this.current.assign(T.VARIABLE, pos, xlen, s, pos)
    return pos + xlen
  }

  /** $1,000.00 money, $$ strings $$ and $tag$ strings $tag$ (PostgreSQL). */
  private parseMoney (): number {
    const { s, slen, pos } = this
    const current = this.current
    if (pos + 1 === slen) {
      current.assignChar(T.BAREWORD, pos, 0x24)
      return slen
    }
    let xlen = spanIn(s, pos + 1, slen, MONEY_CHARS)
    if (xlen === 0) {
      if (s[pos + 1] === 0x24) {
        const end = indexOfPair(s, 0x24, 0x24, pos + 2, slen)
        if (end === -1) {
          current.assign(T.STRING, pos + 2, slen - (pos + 2), s, pos + 2)
          current.strOpen = 0x24
          current.strClose = 0
          return slen
        }
        current.assign(T.STRING, pos + 2, end - (pos + 2), s, pos + 2)
        current.strOpen = 0x24
        current.strClose = 0x24
        return end + 2
      }
      xlen = spanIn(s, pos + 1, slen, LETTERS)
      if (xlen === 0) {
        current.assignChar(T.BAREWORD, pos, 0x24)
        return pos + 1
      }
      if (pos + xlen + 1 === slen || s[pos + xlen + 1] !== 0x24) {
        current.assignChar(T.BAREWORD, pos, 0x24)
        return pos + 1
      }
      const end = indexOfRun(s, pos + xlen + 2, slen, pos, xlen + 2)
      if (end === -1) {
        current.assign(T.STRING, pos + xlen + 2, slen - pos - xlen - 2, s, pos + xlen + 2)
        current.strOpen = 0x24
        current.strClose = 0
        return slen
      }
      current.assign(T.STRING, pos + xlen + 2, end - (pos + xlen + 2), s, pos + xlen + 2)
      current.strOpen = 0x24
      current.strClose = 0x24
      return end + xlen + 2
    } else if (xlen === 1 && s[pos + 1] === 0x2e) {
      return this.parseWord() // "$." is a word
    }
    current.assign(T.NUMBER, pos, 1 + xlen, s, pos)
    return pos + 1 + xlen
  }

  private parseNumber (): number {
    const { s, slen } = this
    let pos = this.pos
    if (s[pos] === 0x30 && pos + 1 < slen) {
      const x = s[pos + 1]
      const digits = x === 0x58 || x === 0x78 ? HEX_DIGITS : x === 0x42 || x === 0x62 ? BINARY_DIGITS : undefined
      if (digits !== undefined) {
        const xlen = spanIn(s, pos + 2, slen, digits)
        if (xlen === 0) {
          this.current.assign(T.BAREWORD, pos, 2, s, pos)
          return pos + 2
        }
        this.current.assign(T.NUMBER, pos, 2 + xlen, s, pos)
        return pos + 2 + xlen
      }
    }
    const start = pos
    while (pos < slen && isDigit(s[pos]!)) pos += 1
    if (pos < slen && s[pos] === 0x2e) {
      pos += 1
      while (pos < slen && isDigit(s[pos]!)) pos += 1
      if (pos - start === 1) {
        this.current.assignChar(T.DOT, start, 0x2e) // only "."
        return pos
      }
    }
    let haveE = false
    let haveExp = false
    if (pos < slen && (s[pos] === 0x45 || s[pos] === 0x65)) {
      haveE = true
      pos += 1
      if (pos < slen && (s[pos] === 0x2b || s[pos] === 0x2d)) pos += 1
      while (pos < slen && isDigit(s[pos]!)) {
        haveExp = true
        pos += 1
      }
    }
    // Oracle's float / double suffixes: 1.2f, 1.2d
    if (pos < slen && (s[pos] === 0x64 || s[pos] === 0x44 || s[pos] === 0x66 || s[pos] === 0x46)) {
      if (pos + 1 === slen) pos += 1
      else if (isWhite(s[pos + 1]!) || s[pos + 1] === 0x3b) pos += 1
      else if (s[pos + 1] === 0x75 || s[pos + 1] === 0x55) pos += 1 // "1fUNION" is "1f UNION"
    }
    // "1.e", "10.10E", ".E": an exponent with no digits makes a word, not a number
    this.current.assign(haveE && !haveExp ? T.BAREWORD : T.NUMBER, start, pos - start, s, start)
    return pos
  }
}

function isDigit (c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

/** An odd run of backslashes ending at `end` (and not before `start`) escapes the next byte. */
function isBackslashEscaped (s: Uint8Array, end: number, start: number): boolean {
  let p = end
  while (p >= start && s[p] === BACKSLASH) p--
  return ((end - p) & 1) === 1
}

/**
 * A string from `pos` (after `offset` opening bytes) to its closing `delim`; a delimiter escaped
 * by a backslash or doubled does not close it. Returns the position after the string.
 */
function parseStringCore (s: Uint8Array, len: number, pos: number, st: SqliToken, delim: number, offset: number): number {
  const from = pos + offset
  let q = indexOfByte(s, delim, from, len)
  st.strOpen = offset > 0 ? delim : 0
  for (;;) {
    if (q === -1) {
      st.assign(T.STRING, from, len - from, s, from)
      st.strClose = 0
      return len
    } else if (isBackslashEscaped(s, q - 1, from)) {
      q = indexOfByte(s, delim, q + 1, len)
    } else if (q + 1 < len && s[q + 1] === s[q]) {
      q = indexOfByte(s, delim, q + 2, len)
    } else {
      st.assign(T.STRING, from, q - from, s, from)
      st.strClose = delim
      return q + 1
    }
  }
}
