import type { Operator } from './model.js'
import { utf8ToBytes } from './regex.js'

/**
 * A necessary condition for a pattern to match a value, checked in JavaScript before the RE2
 * call: every match is at least `minLength` characters long and holds at least `min`
 * characters of one set (`chars`). The CRS's 942430-942432 look for 12, 6 or 2 "special"
 * characters in a value (`(?:[…][^…]*?){12}`); an RE2.Set over a group's joined values finds
 * that many in nearly every request, so each value is confirmed by its own regex, and hardly
 * any holds that many. Counting them costs a loop over the value's characters, which stops as
 * soon as the count is reached, against a native call and a copy of the value.
 *
 * The bound is worked out at load from the pattern's RE2 syntax (the byte string the engine
 * compiles, see ./regex.ts), per node: a character or class counts 1 when all it matches is in
 * the set, a sequence the sum of its items, an alternation the least of its branches, a
 * repetition its minimum times its item; anchors and everything else count 0. Any syntax the
 * analysis does not know gives no floor, so it can only miss a chance, never refuse a value
 * the pattern matches. Characters above U+00FF (not in a byte string; a surrogate pair counts
 * two) are always counted as in the set: the count can only be too high, never too low.
 */

/** Bounds smaller than this are not worth a loop: any value but the empty one may match. */
const MIN_BOUND = 2

/** A class is a 256-flag table of the characters U+0000-U+00FF it matches; above them, see ValueFloor. */
type Chars = Uint8Array

type Node =
  | { readonly k: 'chars', readonly chars: Chars }
  | { readonly k: 'seq', readonly items: readonly Node[] }
  | { readonly k: 'alt', readonly branches: readonly Node[] }
  | { readonly k: 'rep', readonly min: number, readonly item: Node }
  | { readonly k: 'empty' }

const EMPTY_NODE: Node = { k: 'empty' }

export class ValueFloor {
  /**
   * @param minLength every match has at least this many characters
   * @param chars the set of characters counted (U+0000-U+00FF; every character above is counted)
   * @param min every match holds at least this many of them (0: no count)
   */
  constructor (readonly minLength: number, readonly chars: Chars, readonly min: number) {}

  /** False when the pattern cannot match `value`; true when it may. */
  admits (value: string): boolean {
    const n = value.length
    if (n < this.minLength) return false
    const min = this.min
    if (min === 0) return true
    const chars = this.chars
    let seen = 0
    for (let i = 0; i < n; i++) {
      const c = value.charCodeAt(i)
      if ((c > 0xff || chars[c] === 1) && ++seen >= min) return true
    }
    return false
  }
}

const floors = new WeakMap<Operator, ValueFloor | null>()

/** The floor of an `rx` operator with a constant pattern (worked out once per operator), or undefined. */
export function floorOf (op: Operator): ValueFloor | undefined {
  if (op.name !== 'rx' || op.prefilter === undefined) return undefined
  let f = floors.get(op)
  if (f === undefined) floors.set(op, f = valueFloor(op.argument) ?? null)
  return f ?? undefined
}

/** The floor of a pattern (compiled without flags, as rx does), or undefined when it has none worth checking. */
export function valueFloor (source: string): ValueFloor | undefined {
  let tree: Node
  try {
    const bytes = utf8ToBytes(source)
    // Flags are taken as holding for the whole pattern once they appear anywhere: case folding
    // and a dot that matches a newline only make classes larger, so the count can only be lower.
    const p = new Parser(bytes, { i: /\(\?[a-zA-Z]*i/.test(bytes), s: /\(\?[a-zA-Z]*s/.test(bytes) })
    tree = p.alternation()
    if (p.i < p.s.length) return undefined
  } catch (err) {
    if (err instanceof GiveUp) return undefined
    throw err
  }
  const minLength = countIn(tree, ALL)
  let best: { chars: Chars, min: number, size: number } | undefined
  // A CRS pattern of a few thousand characters has as many single-character classes, and each
  // candidate is counted over the whole tree: without the dedup and this bound, building CRS v4
  // PL1 took 12.5 s instead of 0.5 s (cpu-prof: 85% in countIn/within). Any subset of the
  // candidates is sound: fewer sets can only give a lower floor.
  const visits = nodeCount(tree)
  let work = 0
  for (const chars of distinct(candidates(tree))) {
    if ((work += visits) > WORK_LIMIT) break
    const size = chars.reduce((a, b) => a + b, 0)
    // A set of nearly every character says little more than the length.
    if (size > 128) continue
    const min = countIn(tree, chars)
    if (min < MIN_BOUND) continue
    if (best === undefined || min > best.min || (min === best.min && size < best.size)) best = { chars, min, size }
  }
  if (best === undefined && minLength < MIN_BOUND) return undefined
  return new ValueFloor(minLength, best?.chars ?? ALL, best?.min ?? 0)
}

/** How many characters of `set` every match of `node` holds, at least. */
function countIn (node: Node, set: Chars): number {
  switch (node.k) {
    case 'chars': return within(node.chars, set) ? 1 : 0
    case 'seq': return node.items.reduce((n, x) => n + countIn(x, set), 0)
    case 'alt': return Math.min(...node.branches.map(b => countIn(b, set)))
    case 'rep': return node.min === 0 ? 0 : node.min * countIn(node.item, set)
    case 'empty': return 0
  }
}

/** The sets worth counting: every class of the pattern, and for each alternation the first characters of its branches together. */
function candidates (tree: Node): Chars[] {
  const out: Chars[] = []
  const walk = (node: Node): void => {
    switch (node.k) {
      case 'chars': out.push(node.chars); return
      case 'seq': node.items.forEach(walk); return
      case 'alt': {
        const first = firstChars(node)
        if (first !== undefined) out.push(first)
        node.branches.forEach(walk)
        return
      }
      case 'rep': walk(node.item)
    }
  }
  walk(tree)
  return out
}

/** The characters a match of `node` may start with, when it must start with one of a known set. */
function firstChars (node: Node): Chars | undefined {
  switch (node.k) {
    case 'chars': return node.chars
    case 'seq': {
      for (const x of node.items) {
        if (x.k === 'empty') continue
        return firstChars(x)
      }
      return undefined
    }
    case 'alt': {
      const out = new Uint8Array(256)
      for (const b of node.branches) {
        const f = firstChars(b)
        if (f === undefined) return undefined
        for (let c = 0; c < 256; c++) out[c] |= f[c]
      }
      return out
    }
    case 'rep': return node.min === 0 ? undefined : firstChars(node.item)
    case 'empty': return undefined
  }
}

/** Node visits the candidates' counts may take per pattern (about a millisecond). */
const WORK_LIMIT = 250_000

function nodeCount (node: Node): number {
  switch (node.k) {
    case 'seq': return node.items.reduce((n, x) => n + nodeCount(x), 1)
    case 'alt': return node.branches.reduce((n, x) => n + nodeCount(x), 1)
    case 'rep': return 1 + nodeCount(node.item)
    default: return 1
  }
}

/** A set as eight 32-bit words, made once per set, so that `within` is eight steps instead of 256. */
const wordsOf = new WeakMap<Chars, Uint32Array>()

function words (set: Chars): Uint32Array {
  let w = wordsOf.get(set)
  if (w === undefined) {
    w = new Uint32Array(8)
    for (let c = 0; c < 256; c++) if (set[c] === 1) w[c >> 5] |= 1 << (c & 31)
    wordsOf.set(set, w)
  }
  return w
}

/** The sets in their first order, each once. */
function distinct (sets: Chars[]): Chars[] {
  const seen = new Set<string>()
  return sets.filter(set => {
    const key = words(set).join(',')
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

function within (a: Chars, b: Chars): boolean {
  const x = words(a)
  const y = words(b)
  for (let i = 0; i < 8; i++) if ((x[i] & ~y[i]) !== 0) return false
  return true
}

const ALL: Chars = new Uint8Array(256).fill(1)

class GiveUp extends Error {}

interface Flags { i: boolean, s: boolean }

function range (from: number, to: number, out: Chars = new Uint8Array(256)): Chars {
  for (let c = from; c <= Math.min(to, 0xff); c++) out[c] = 1
  return out
}

function union (...sets: Chars[]): Chars {
  const out = new Uint8Array(256)
  for (const s of sets) for (let c = 0; c < 256; c++) out[c] |= s[c]
  return out
}

function negate (set: Chars): Chars {
  const out = new Uint8Array(256)
  for (let c = 0; c < 256; c++) out[c] = set[c] ^ 1
  return out
}

/**
 * RE2's case folding within U+0000-U+00FF (simple Unicode folding): A-Z with a-z, U+00C0-U+00DE
 * (but U+00D7) with U+00E0-U+00FE. Other folds lead above U+00FF, which is always counted.
 */
function folded (set: Chars): Chars {
  const out = new Uint8Array(set)
  for (let c = 0; c < 256; c++) {
    if (set[c] === 0) continue
    if ((c >= 0x41 && c <= 0x5a) || (c >= 0xc0 && c <= 0xde && c !== 0xd7)) out[c + 32] = 1
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0xe0 && c <= 0xfe && c !== 0xf7)) out[c - 32] = 1
  }
  return out
}

const DIGIT = range(0x30, 0x39)
const WORD = union(DIGIT, range(0x41, 0x5a), range(0x61, 0x7a), range(0x5f, 0x5f))
/** RE2's `\s`: `[\t\n\f\r ]` (no `\v`). */
const SPACE = union(range(0x09, 0x0a), range(0x0c, 0x0d), range(0x20, 0x20))
const PERL: Record<string, Chars> = { d: DIGIT, D: negate(DIGIT), w: WORD, W: negate(WORD), s: SPACE, S: negate(SPACE) }
const CONTROL: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, f: 0x0c, v: 0x0b, a: 0x07 }
const ZERO_WIDTH = new Set(['b', 'B', 'A', 'z'])
const POSIX: Record<string, Chars> = {
  alnum: union(DIGIT, range(0x41, 0x5a), range(0x61, 0x7a)),
  alpha: union(range(0x41, 0x5a), range(0x61, 0x7a)),
  digit: DIGIT,
  lower: range(0x61, 0x7a),
  upper: range(0x41, 0x5a),
  space: union(range(0x09, 0x0d), range(0x20, 0x20)),
  word: WORD,
  xdigit: union(DIGIT, range(0x41, 0x46), range(0x61, 0x66))
}

class Parser {
  i = 0
  constructor (readonly s: string, private readonly flags: Flags) {}

  alternation (): Node {
    const branches = [this.sequence()]
    while (this.s[this.i] === '|') {
      this.i++
      branches.push(this.sequence())
    }
    return branches.length === 1 ? branches[0] : { k: 'alt', branches }
  }

  private sequence (): Node {
    const items: Node[] = []
    while (this.i < this.s.length && this.s[this.i] !== '|' && this.s[this.i] !== ')') items.push(this.repeated())
    return items.length === 1 ? items[0] : { k: 'seq', items }
  }

  private repeated (): Node {
    const item = this.atom()
    const s = this.s
    const c = s[this.i]
    let min: number
    if (c === '*' || c === '+' || c === '?') {
      this.i++
      min = c === '+' ? 1 : 0
    } else if (c === '{' && /^\{\d+(,\d*)?\}/.test(s.slice(this.i, this.i + 12))) {
      const m = /^\{(\d+)(,\d*)?\}/.exec(s.slice(this.i)) as RegExpExecArray
      this.i += m[0].length
      min = Number(m[1])
    } else {
      return item
    }
    if (s[this.i] === '?') this.i++
    if (s[this.i] === '*' || s[this.i] === '+' || s[this.i] === '?') throw new GiveUp()
    return { k: 'rep', min, item }
  }

  private atom (): Node {
    const s = this.s
    const c = s[this.i++]
    switch (c) {
      case '^': case '$': return EMPTY_NODE
      case '.': return { k: 'chars', chars: this.flags.s ? ALL : negate(range(0x0a, 0x0a)) }
      case '[': return { k: 'chars', chars: this.charClass() }
      case '(': return this.group()
      case '\\': return this.escape()
      // A `{` that is no repetition is taken literally by RE2 in some forms (`{,3}`): not analysed.
      case '*': case '+': case '?': case ')': case '{': throw new GiveUp()
      default: return this.literal(c.charCodeAt(0))
    }
  }

  private literal (code: number): Node {
    const chars = range(code, code)
    return { k: 'chars', chars: this.flags.i ? folded(chars) : chars }
  }

  private group (): Node {
    const s = this.s
    if (s[this.i] === '?') {
      const m = /^\?(?:P?<[A-Za-z_][A-Za-z0-9_]*>|[imsU]*(?:-[imsU]*)?([:)]))/.exec(s.slice(this.i))
      if (m === null) throw new GiveUp()
      this.i += m[0].length
      // (?i): flags (see valueFloor), matching nothing themselves.
      if (m[1] === ')') return EMPTY_NODE
    }
    const inner = this.alternation()
    if (s[this.i] !== ')') throw new GiveUp()
    this.i++
    return inner
  }

  private escape (): Node {
    const s = this.s
    const c = s[this.i++]
    if (c === undefined) throw new GiveUp()
    if (ZERO_WIDTH.has(c)) return EMPTY_NODE
    if (PERL[c] !== undefined) return { k: 'chars', chars: PERL[c] }
    // Unicode classes: taken as every character (more than they match: a count can only be lower).
    if (c === 'p' || c === 'P') {
      this.unicodeClassName()
      return { k: 'chars', chars: ALL }
    }
    if (c === 'Q') {
      const end = s.indexOf('\\E', this.i)
      const text = s.slice(this.i, end === -1 ? s.length : end)
      this.i = end === -1 ? s.length : end + 2
      return { k: 'seq', items: [...text].map(ch => this.literal(ch.charCodeAt(0))) }
    }
    return this.literal(this.escapedCode(c))
  }

  /** The code of an escaped character (after the backslash); gives up on escapes that are not one character. */
  private escapedCode (c: string): number {
    if (CONTROL[c] !== undefined) return CONTROL[c]
    if (c === 'x') {
      const m = /^(?:\{([0-9A-Fa-f]{1,6})\}|([0-9A-Fa-f]{2}))/.exec(this.s.slice(this.i))
      if (m === null) throw new GiveUp()
      this.i += m[0].length
      return parseInt(m[1] ?? m[2], 16)
    }
    // Octal, back references, \C, \E, \e and other letters: not analysed.
    if (/[0-9A-Za-z]/.test(c)) throw new GiveUp()
    return c.charCodeAt(0)
  }

  private unicodeClassName (): void {
    if (this.s[this.i] === '{') {
      const end = this.s.indexOf('}', this.i)
      if (end === -1) throw new GiveUp()
      this.i = end + 1
    } else if (this.i < this.s.length) this.i++
    else throw new GiveUp()
  }

  /**
   * A bracketed class, after its `[`: the characters it matches, or more. Case folded under
   * `(?i)`; a negated class is the complement of its characters unfolded (RE2 folds them first,
   * so its complement is smaller).
   */
  private charClass (): Chars {
    const s = this.s
    const negated = s[this.i] === '^'
    if (negated) this.i++
    let set: Chars = new Uint8Array(256)
    let approximate = false
    let first = true
    while (this.i < s.length && (s[this.i] !== ']' || first)) {
      first = false
      if (s.startsWith('[:', this.i)) {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(s.slice(this.i))
        if (m === null || POSIX[m[2]] === undefined) throw new GiveUp()
        this.i += m[0].length
        set = union(set, m[1] === '^' ? negate(POSIX[m[2]]) : POSIX[m[2]])
        continue
      }
      if (s[this.i] === '\\' && PERL[s[this.i + 1]] !== undefined) {
        set = union(set, PERL[s[this.i + 1]])
        this.i += 2
        continue
      }
      if (s[this.i] === '\\' && (s[this.i + 1] === 'p' || s[this.i + 1] === 'P')) {
        this.i += 2
        this.unicodeClassName()
        approximate = true
        set = ALL
        continue
      }
      const from = this.classChar()
      let to = from
      if (s[this.i] === '-' && s[this.i + 1] !== ']' && this.i + 1 < s.length) {
        this.i++
        to = this.classChar()
        if (to < from) throw new GiveUp()
      }
      range(from, to, set)
    }
    if (s[this.i] !== ']') throw new GiveUp()
    this.i++
    // The complement of a superset would be too small: an approximate negated class is not analysed.
    if (negated && approximate) throw new GiveUp()
    if (negated) return negate(set)
    return this.flags.i ? folded(set) : set
  }

  private classChar (): number {
    const s = this.s
    const c = s[this.i++]
    if (c === undefined) throw new GiveUp()
    if (c !== '\\') return c.charCodeAt(0)
    const e = s[this.i++]
    if (e === undefined) throw new GiveUp()
    return this.escapedCode(e)
  }
}
