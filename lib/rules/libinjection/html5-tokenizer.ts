/**
 * libinjection's HTML5 tokenizer (libinjection_html5.c): a small, forgiving state machine after
 * the HTML5 tokenization spec, on bytes. libinjection's states call one another directly; here
 * a state either yields a token or names the next state, and next() loops, so a long run of
 * "/" or quotes cannot grow the stack. States that begin alike are not merged: each follows its
 * C function one to one, so the port can be read and fixed against libinjection's source.
 */

export const H5 = {
  DATA_TEXT: 0,
  TAG_NAME_OPEN: 1,
  TAG_NAME_CLOSE: 2,
  TAG_NAME_SELFCLOSE: 3,
  TAG_DATA: 4,
  TAG_CLOSE: 5,
  ATTR_NAME: 6,
  ATTR_VALUE: 7,
  TAG_COMMENT: 8,
  DOCTYPE: 9
} as const

export const H5_TYPE_NAMES: readonly string[] = [
  'DATA_TEXT', 'TAG_NAME_OPEN', 'TAG_NAME_CLOSE', 'TAG_NAME_SELFCLOSE', 'TAG_DATA', 'TAG_CLOSE', 'ATTR_NAME',
  'ATTR_VALUE', 'TAG_COMMENT', 'DOCTYPE'
]

/** The contexts libinjection_xss tries: where in a page the input lands. */
export const H5_FLAGS = {
  DATA_STATE: 0,
  VALUE_NO_QUOTE: 1,
  VALUE_SINGLE_QUOTE: 2,
  VALUE_DOUBLE_QUOTE: 3,
  VALUE_BACK_QUOTE: 4
} as const

const enum S {
  EOF, DATA, TAG_OPEN, TAG_NAME, TAG_NAME_CLOSE, END_TAG_OPEN, SELF_CLOSING_START_TAG, ATTRIBUTE_NAME,
  AFTER_ATTRIBUTE_NAME, BEFORE_ATTRIBUTE_NAME, BEFORE_ATTRIBUTE_VALUE, VALUE_DOUBLE_QUOTE, VALUE_SINGLE_QUOTE,
  VALUE_BACK_QUOTE, VALUE_NO_QUOTE, AFTER_ATTRIBUTE_VALUE_QUOTED, COMMENT, CDATA, BOGUS_COMMENT, BOGUS_COMMENT2,
  MARKUP_DECLARATION_OPEN, DOCTYPE
}

/** A state's answer: a token (TRUE), the end (FALSE), or go on in `this.go`. */
const TRUE = 1
const FALSE = 0
const GO = 2

const GT = 0x3e
const LT = 0x3c
const SLASH = 0x2f
const BANG = 0x21
const EQUALS = 0x3d
const DASH = 0x2d

/** " \t\n\v\f\r" (h5_is_white: strchr also finds the NUL terminator). */
function isWhite (c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0
}

function isAlpha (c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)
}

function indexOfByte (s: Uint8Array, c: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (s[i] === c) return i
  return -1
}

export class Html5State {
  s: Uint8Array = new Uint8Array(0)
  len = 0
  pos = 0
  isClose = false
  private state: S = S.EOF
  /** The state to go on in, when a state answers GO. */
  private go: S = S.EOF
  tokenStart = 0
  tokenLen = 0
  tokenType = 0

  init (s: Uint8Array, len: number, flags: number): void {
    this.s = s
    this.len = len
    this.pos = 0
    this.isClose = false
    this.tokenStart = 0
    this.tokenLen = 0
    this.tokenType = 0
    switch (flags) {
      case H5_FLAGS.DATA_STATE: this.state = S.DATA; break
      case H5_FLAGS.VALUE_NO_QUOTE: this.state = S.BEFORE_ATTRIBUTE_NAME; break
      case H5_FLAGS.VALUE_SINGLE_QUOTE: this.state = S.VALUE_SINGLE_QUOTE; break
      case H5_FLAGS.VALUE_DOUBLE_QUOTE: this.state = S.VALUE_DOUBLE_QUOTE; break
      case H5_FLAGS.VALUE_BACK_QUOTE: this.state = S.VALUE_BACK_QUOTE; break
      default: throw new RangeError(`html5: unknown flags ${flags}`)
    }
  }

  /** The next token (tokenStart, tokenLen, tokenType); false at the end. */
  next (): boolean {
    let st = this.state
    for (;;) {
      const r = this.run(st)
      if (r !== GO) return r === TRUE
      st = this.go
    }
  }

  private to (st: S): number {
    this.go = st
    return GO
  }

  private token (type: number, start: number, len: number): void {
    this.tokenType = type
    this.tokenStart = start
    this.tokenLen = len
  }

  private run (st: S): number {
    switch (st) {
      case S.EOF: return FALSE
      case S.DATA: return this.data()
      case S.TAG_OPEN: return this.tagOpen()
      case S.TAG_NAME: return this.tagName()
      case S.TAG_NAME_CLOSE: return this.tagNameClose()
      case S.END_TAG_OPEN: return this.endTagOpen()
      case S.SELF_CLOSING_START_TAG: return this.selfClosingStartTag()
      case S.ATTRIBUTE_NAME: return this.attributeName()
      case S.AFTER_ATTRIBUTE_NAME: return this.afterAttributeName()
      case S.BEFORE_ATTRIBUTE_NAME: return this.beforeAttributeName()
      case S.BEFORE_ATTRIBUTE_VALUE: return this.beforeAttributeValue()
      case S.VALUE_DOUBLE_QUOTE: return this.attributeValueQuote(0x22)
      case S.VALUE_SINGLE_QUOTE: return this.attributeValueQuote(0x27)
      case S.VALUE_BACK_QUOTE: return this.attributeValueQuote(0x60)
      case S.VALUE_NO_QUOTE: return this.attributeValueNoQuote()
      case S.AFTER_ATTRIBUTE_VALUE_QUOTED: return this.afterAttributeValueQuoted()
      case S.COMMENT: return this.comment()
      case S.CDATA: return this.cdata()
      case S.BOGUS_COMMENT: return this.bogusComment()
      case S.BOGUS_COMMENT2: return this.bogusComment2()
      case S.MARKUP_DECLARATION_OPEN: return this.markupDeclarationOpen()
      case S.DOCTYPE: return this.doctype()
    }
  }

  /**
   * Skips whitespace (and NUL, for IE); the byte there, or -1 at the end. libinjection returns
   * the byte as a signed char, so a 0xFF byte reads as the end too.
   */
  private skipWhite (): number {
    while (this.pos < this.len) {
      const c = this.s[this.pos]!
      if (c === 0 || c === 0x20 || (c >= 0x09 && c <= 0x0d)) this.pos += 1
      else return c === 0xff ? -1 : c
    }
    return -1
  }

  private data (): number {
    if (this.len < this.pos) return FALSE
    const idx = indexOfByte(this.s, LT, this.pos, this.len)
    if (idx === -1) {
      this.token(H5.DATA_TEXT, this.pos, this.len - this.pos)
      this.state = S.EOF
      if (this.tokenLen === 0) return FALSE
    } else {
      this.token(H5.DATA_TEXT, this.pos, idx - this.pos)
      this.pos = idx + 1
      this.state = S.TAG_OPEN
      if (this.tokenLen === 0) return this.to(S.TAG_OPEN)
    }
    return TRUE
  }

  private tagOpen (): number {
    if (this.pos >= this.len) return FALSE
    const c = this.s[this.pos]!
    if (c === BANG) {
      this.pos += 1
      return this.to(S.MARKUP_DECLARATION_OPEN)
    } else if (c === SLASH) {
      this.pos += 1
      this.isClose = true
      return this.to(S.END_TAG_OPEN)
    } else if (c === 0x3f) { // ?
      this.pos += 1
      return this.to(S.BOGUS_COMMENT)
    } else if (c === 0x25) { // %: IE <= 9 and old Safari comments
      this.pos += 1
      return this.to(S.BOGUS_COMMENT2)
    } else if (isAlpha(c) || c === 0) { // IE ignores NUL
      return this.to(S.TAG_NAME)
    }
    if (this.pos === 0) return this.to(S.DATA)
    this.token(H5.DATA_TEXT, this.pos - 1, 1)
    this.state = S.DATA
    return TRUE
  }

  private endTagOpen (): number {
    if (this.pos >= this.len) return FALSE
    const c = this.s[this.pos]!
    if (c === GT) return this.to(S.DATA)
    if (isAlpha(c)) return this.to(S.TAG_NAME)
    this.isClose = false
    return this.to(S.BOGUS_COMMENT)
  }

  private tagNameClose (): number {
    this.isClose = false
    this.token(H5.TAG_NAME_CLOSE, this.pos, 1)
    this.pos += 1
    this.state = this.pos < this.len ? S.DATA : S.EOF
    return TRUE
  }

  private tagName (): number {
    let pos = this.pos
    while (pos < this.len) {
      const c = this.s[pos]!
      if (c === 0) {
        pos += 1 // old browsers ignore NUL in tag names
      } else if (isWhite(c)) {
        this.token(H5.TAG_NAME_OPEN, this.pos, pos - this.pos)
        this.pos = pos + 1
        this.state = S.BEFORE_ATTRIBUTE_NAME
        return TRUE
      } else if (c === SLASH) {
        this.token(H5.TAG_NAME_OPEN, this.pos, pos - this.pos)
        this.pos = pos + 1
        this.state = S.SELF_CLOSING_START_TAG
        return TRUE
      } else if (c === GT) {
        this.tokenStart = this.pos
        this.tokenLen = pos - this.pos
        if (this.isClose) {
          this.pos = pos + 1
          this.isClose = false
          this.tokenType = H5.TAG_CLOSE
          this.state = S.DATA
        } else {
          this.pos = pos
          this.tokenType = H5.TAG_NAME_OPEN
          this.state = S.TAG_NAME_CLOSE
        }
        return TRUE
      } else {
        pos += 1
      }
    }
    this.token(H5.TAG_NAME_OPEN, this.pos, this.len - this.pos)
    this.state = S.EOF
    return TRUE
  }

  private beforeAttributeName (): number {
    const c = this.skipWhite()
    if (c === -1) return FALSE
    if (c === SLASH) {
      this.pos += 1
      return this.to(S.SELF_CLOSING_START_TAG)
    }
    if (c === GT) {
      this.state = S.DATA
      this.token(H5.TAG_NAME_CLOSE, this.pos, 1)
      this.pos += 1
      return TRUE
    }
    return this.to(S.ATTRIBUTE_NAME)
  }

  private attributeName (): number {
    let pos = this.pos + 1
    while (pos < this.len) {
      const c = this.s[pos]!
      if (isWhite(c)) {
        this.token(H5.ATTR_NAME, this.pos, pos - this.pos)
        this.state = S.AFTER_ATTRIBUTE_NAME
        this.pos = pos + 1
        return TRUE
      } else if (c === SLASH) {
        this.token(H5.ATTR_NAME, this.pos, pos - this.pos)
        this.state = S.SELF_CLOSING_START_TAG
        this.pos = pos + 1
        return TRUE
      } else if (c === EQUALS) {
        this.token(H5.ATTR_NAME, this.pos, pos - this.pos)
        this.state = S.BEFORE_ATTRIBUTE_VALUE
        this.pos = pos + 1
        return TRUE
      } else if (c === GT) {
        this.token(H5.ATTR_NAME, this.pos, pos - this.pos)
        this.state = S.TAG_NAME_CLOSE
        this.pos = pos
        return TRUE
      }
      pos += 1
    }
    this.token(H5.ATTR_NAME, this.pos, this.len - this.pos)
    this.state = S.EOF
    this.pos = this.len
    return TRUE
  }

  // Starts as beforeAttributeName does: each state follows its function in libinjection_html5.c, so that the port reads against the C one to one.
  private afterAttributeName (): number {
    const c = this.skipWhite()
    if (c === -1) return FALSE
    if (c === SLASH) {
      this.pos += 1
      return this.to(S.SELF_CLOSING_START_TAG)
    }
    if (c === EQUALS) {
      this.pos += 1
      return this.to(S.BEFORE_ATTRIBUTE_VALUE)
    }
    if (c === GT) return this.to(S.TAG_NAME_CLOSE)
    return this.to(S.ATTRIBUTE_NAME)
  }

  private beforeAttributeValue (): number {
    const c = this.skipWhite()
    if (c === -1) {
      this.state = S.EOF
      return FALSE
    }
    if (c === 0x22) return this.to(S.VALUE_DOUBLE_QUOTE)
    if (c === 0x27) return this.to(S.VALUE_SINGLE_QUOTE)
    if (c === 0x60) return this.to(S.VALUE_BACK_QUOTE) // IE
    return this.to(S.VALUE_NO_QUOTE)
  }

  private attributeValueQuote (q: number): number {
    // Skip the opening quote, except at position 0: the input started inside a value.
    if (this.pos > 0) this.pos += 1
    const idx = indexOfByte(this.s, q, this.pos, this.len)
    if (idx === -1) {
      this.token(H5.ATTR_VALUE, this.pos, this.len - this.pos)
      this.state = S.EOF
    } else {
      this.token(H5.ATTR_VALUE, this.pos, idx - this.pos)
      this.state = S.AFTER_ATTRIBUTE_VALUE_QUOTED
      this.pos += this.tokenLen + 1
    }
    return TRUE
  }

  private attributeValueNoQuote (): number {
    let pos = this.pos
    while (pos < this.len) {
      const c = this.s[pos]!
      if (isWhite(c)) {
        this.token(H5.ATTR_VALUE, this.pos, pos - this.pos)
        this.pos = pos + 1
        this.state = S.BEFORE_ATTRIBUTE_NAME
        return TRUE
      } else if (c === GT) {
        this.token(H5.ATTR_VALUE, this.pos, pos - this.pos)
        this.pos = pos
        this.state = S.TAG_NAME_CLOSE
        return TRUE
      }
      pos += 1
    }
    this.state = S.EOF
    this.token(H5.ATTR_VALUE, this.pos, this.len - this.pos)
    return TRUE
  }

  private afterAttributeValueQuoted (): number {
    if (this.pos >= this.len) return FALSE
    const c = this.s[this.pos]!
    if (isWhite(c)) {
      this.pos += 1
      return this.to(S.BEFORE_ATTRIBUTE_NAME)
    } else if (c === SLASH) {
      this.pos += 1
      return this.to(S.SELF_CLOSING_START_TAG)
    } else if (c === GT) {
      this.token(H5.TAG_NAME_CLOSE, this.pos, 1)
      this.pos += 1
      this.state = S.DATA
      return TRUE
    }
    return this.to(S.BEFORE_ATTRIBUTE_NAME)
  }

  private selfClosingStartTag (): number {
    if (this.pos >= this.len) return FALSE
    if (this.s[this.pos] === GT) {
      if (this.pos <= 0) return FALSE
      this.token(H5.TAG_NAME_SELFCLOSE, this.pos - 1, 2)
      this.state = S.DATA
      this.pos += 1
      return TRUE
    }
    return this.to(S.BEFORE_ATTRIBUTE_NAME)
  }

  private bogusComment (): number {
    const idx = indexOfByte(this.s, GT, this.pos, this.len)
    if (idx === -1) {
      this.tokenStart = this.pos
      this.tokenLen = this.len - this.pos
      this.pos = this.len
      this.state = S.EOF
    } else {
      this.tokenStart = this.pos
      this.tokenLen = idx - this.pos
      this.pos = idx + 1
      this.state = S.DATA
    }
    this.tokenType = H5.TAG_COMMENT
    return TRUE
  }

  /** <% ... %> */
  private bogusComment2 (): number {
    let pos = this.pos
    for (;;) {
      const idx = indexOfByte(this.s, 0x25, pos, this.len)
      if (idx === -1 || idx + 1 >= this.len) {
        this.token(H5.TAG_COMMENT, this.pos, this.len - this.pos)
        this.pos = this.len
        this.state = S.EOF
        return TRUE
      }
      if (this.s[idx + 1] !== GT) {
        pos = idx + 1
        continue
      }
      this.token(H5.TAG_COMMENT, this.pos, idx - this.pos)
      this.pos = idx + 2
      this.state = S.DATA
      return TRUE
    }
  }

  private markupDeclarationOpen (): number {
    const s = this.s
    const p = this.pos
    const remaining = this.len - p
    if (remaining >= 7 && matchesFolded(s, p, 'DOCTYPE')) return this.to(S.DOCTYPE)
    if (remaining >= 7 && s[p] === 0x5b && s[p + 1] === 0x43 && s[p + 2] === 0x44 && s[p + 3] === 0x41 && s[p + 4] === 0x54 &&
      s[p + 5] === 0x41 && s[p + 6] === 0x5b) { // [CDATA[, upper case only
      this.pos += 7
      return this.to(S.CDATA)
    }
    if (remaining >= 2 && s[p] === DASH && s[p + 1] === DASH) {
      this.pos += 2
      return this.to(S.COMMENT)
    }
    return this.to(S.BOGUS_COMMENT)
  }

  /** A comment ends at the end of input, "-->" or "-!>" (NULs after the first '-' are skipped). */
  private comment (): number {
    const s = this.s
    const end = this.len
    let pos = this.pos
    for (;;) {
      const idx = indexOfByte(s, DASH, pos, end)
      if (idx === -1 || idx > end - 3) return this.commentToEnd()
      let offset = 1
      while (idx + offset < end && s[idx + offset] === 0) offset += 1
      if (idx + offset === end) return this.commentToEnd()
      let c = s[idx + offset]!
      if (c !== DASH && c !== BANG) {
        pos = idx + 1
        continue
      }
      offset += 1
      if (idx + offset === end) return this.commentToEnd()
      c = s[idx + offset]!
      if (c !== GT) {
        pos = idx + 1
        continue
      }
      offset += 1
      this.token(H5.TAG_COMMENT, this.pos, idx - this.pos)
      this.pos = idx + offset
      this.state = S.DATA
      return TRUE
    }
  }

  private commentToEnd (): number {
    this.state = S.EOF
    this.token(H5.TAG_COMMENT, this.pos, this.len - this.pos)
    return TRUE
  }

  private cdata (): number {
    const s = this.s
    let pos = this.pos
    for (;;) {
      const idx = indexOfByte(s, 0x5d, pos, this.len)
      if (idx === -1 || idx > this.len - 3) {
        this.state = S.EOF
        this.token(H5.DATA_TEXT, this.pos, this.len - this.pos)
        return TRUE
      } else if (s[idx + 1] === 0x5d && s[idx + 2] === GT) {
        this.state = S.DATA
        this.token(H5.DATA_TEXT, this.pos, idx - this.pos)
        this.pos = idx + 3
        return TRUE
      }
      pos = idx + 1
    }
  }

  private doctype (): number {
    this.tokenStart = this.pos
    this.tokenType = H5.DOCTYPE
    const idx = indexOfByte(this.s, GT, this.pos, this.len)
    if (idx === -1) {
      this.state = S.EOF
      this.tokenLen = this.len - this.pos
    } else {
      this.state = S.DATA
      this.tokenLen = idx - this.pos
      this.pos = idx + 1
    }
    return TRUE
  }
}

/** Whether s[p ...] is `upper`, ASCII case-insensitively. */
function matchesFolded (s: Uint8Array, p: number, upper: string): boolean {
  for (let i = 0; i < upper.length; i++) {
    let c = s[p + i]!
    if (c >= 0x61 && c <= 0x7a) c -= 0x20
    if (c !== upper.charCodeAt(i)) return false
  }
  return true
}
