/**
 * Literal factors of a pattern: a few strings, lower-cased ASCII, at least one of which every
 * match contains. When every pattern of an RE2.Set has some, a text that (lower-cased) contains
 * none of them cannot match the set, and the set is not called (./scan.ts). The analysis reads
 * the RE2 syntax the engine compiles and gives up (undefined) on anything it does not know, so
 * it can only miss a chance to skip, never skip a set that could match. Case is folded on both
 * sides (values are byte strings: only A-Z and À-Þ have lower cases there, as in RE2's folding),
 * which is looser than a case-sensitive pattern, never stricter.
 */

/** Most strings a node's exact set, and a factor set, may hold. */
const MAX_STRINGS = 16
/** A set with more factors than this is called as before: so many indexOf calls cost about a set call. */
export const MAX_SET_FACTORS = 24

interface Info {
  /** Every string the node can match, when few and known (lower-cased). */
  exact: Set<string> | undefined
  /** Strings one of which every match holds, when known. */
  factors: Set<string> | undefined
}

const NOTHING_KNOWN: Info = { exact: undefined, factors: undefined }
const EMPTY: Info = { exact: new Set(['']), factors: undefined }

class GiveUp extends Error {}

/** A pattern's factors (lower-cased), or undefined when it has none the analysis can prove. */
export function literalFactors (source: string): Set<string> | undefined {
  try {
    const p = new Parser(source)
    const info = p.alternation()
    if (p.i < source.length) return undefined
    return usable(info)
  } catch (err) {
    if (err instanceof GiveUp) return undefined
    throw err
  }
}

/** The factors of a set's patterns together, when each has some and they are few. */
export function setFactors (sources: readonly string[]): string[] | undefined {
  const all = new Set<string>()
  for (const s of sources) {
    const f = literalFactors(s)
    if (f === undefined) return undefined
    for (const x of f) all.add(x)
    if (all.size > MAX_SET_FACTORS) return undefined
  }
  // A factor that holds another is redundant: the shorter one is found wherever it is.
  const list = [...all].sort((a, b) => a.length - b.length)
  return list.filter((x, i) => !list.slice(0, i).some(y => x.includes(y)))
}

function usable (info: Info): Set<string> | undefined {
  const set = info.exact ?? info.factors
  if (set === undefined || set.size === 0 || set.has('')) return undefined
  return set
}

function better (a: Set<string> | undefined, b: Set<string> | undefined): Set<string> | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  const score = (s: Set<string>): number => Math.min(...[...s].map(x => x.length)) * 100 - s.size
  return score(b) > score(a) ? b : a
}

function product (a: Set<string>, b: Set<string>): Set<string> | undefined {
  if (a.size * b.size > MAX_STRINGS) return undefined
  const out = new Set<string>()
  for (const x of a) for (const y of b) out.add(x + y)
  return out
}

const ESCAPED_CLASS = new Set(['d', 'D', 'w', 'W', 's', 'S', 'p', 'P', 'C'])
const ESCAPED_EMPTY = new Set(['b', 'B', 'A', 'z'])
const CONTROL: Record<string, string> = { n: '\n', r: '\r', t: '\t', f: '\f', v: '\v', a: '\x07' }

function charInfo (c: string): Info {
  // Non-ASCII characters are left out of factors: their case folding is not worth proving.
  if (c.charCodeAt(0) > 0x7f) return NOTHING_KNOWN
  return { exact: new Set([c.toLowerCase()]), factors: undefined }
}

class Parser {
  i = 0
  constructor (private readonly s: string) {}

  alternation (): Info {
    const branches = [this.concatenation()]
    while (this.s[this.i] === '|') {
      this.i++
      branches.push(this.concatenation())
    }
    if (branches.length === 1) return branches[0]
    let exact: Set<string> | undefined = new Set()
    let factors: Set<string> | undefined = new Set()
    for (const b of branches) {
      if (exact !== undefined && b.exact !== undefined) for (const x of b.exact) exact.add(x)
      else exact = undefined
      if (exact !== undefined && exact.size > MAX_STRINGS) exact = undefined
      const f = usable(b)
      if (factors !== undefined && f !== undefined) for (const x of f) factors.add(x)
      else factors = undefined
    }
    return { exact, factors }
  }

  concatenation (): Info {
    let run: Set<string> = new Set([''])
    let exactSoFar = true
    let best: Set<string> | undefined
    while (this.i < this.s.length && this.s[this.i] !== '|' && this.s[this.i] !== ')') {
      const item = this.quantified()
      const joined = item.exact === undefined ? undefined : product(run, item.exact)
      if (joined !== undefined) {
        run = joined
        continue
      }
      exactSoFar = false
      best = better(best, usableSet(run))
      best = better(best, usable(item))
      run = item.exact !== undefined && item.exact.size <= MAX_STRINGS ? item.exact : new Set([''])
    }
    if (exactSoFar) return { exact: run, factors: undefined }
    return { exact: undefined, factors: better(best, usableSet(run)) }
  }

  quantified (): Info {
    const atom = this.atom()
    const c = this.s[this.i]
    let min: number
    if (c === '*' || c === '+' || c === '?') {
      this.i++
      min = c === '+' ? 1 : 0
      if (c === '?' && this.s[this.i] !== '?' && this.s[this.i] !== '+') {
        return atom.exact !== undefined ? { exact: new Set([...atom.exact, '']), factors: undefined } : NOTHING_KNOWN
      }
    } else if (c === '{' && /^\{\d+(,\d*)?\}/.test(this.s.slice(this.i))) {
      const m = /^\{(\d+)(,\d*)?\}/.exec(this.s.slice(this.i)) as RegExpExecArray
      this.i += m[0].length
      min = Number(m[1])
    } else {
      return atom
    }
    if (this.s[this.i] === '?') this.i++
    if (min === 0) return NOTHING_KNOWN
    return { exact: undefined, factors: usable(atom) }
  }

  atom (): Info {
    const s = this.s
    const c = s[this.i++]
    switch (c) {
      case '^': case '$': return EMPTY
      case '.': return NOTHING_KNOWN
      case '[': this.skipClass(); return NOTHING_KNOWN
      case '(': return this.group()
      case '\\': return this.escape()
      case '*': case '+': case '?': case '{': throw new GiveUp()
      default: return charInfo(c)
    }
  }

  group (): Info {
    const s = this.s
    if (s[this.i] === '?') {
      const m = /^\?(?:P?<[A-Za-z_][A-Za-z0-9_]*>|[imsU-]*:|[imsU-]*\))/.exec(s.slice(this.i))
      if (m === null) throw new GiveUp()
      this.i += m[0].length
      // (?i): flags for the rest of the group, matching nothing themselves.
      if (m[0].endsWith(')')) return EMPTY
    }
    const inner = this.alternation()
    if (s[this.i] !== ')') throw new GiveUp()
    this.i++
    return inner
  }

  escape (): Info {
    const s = this.s
    const c = s[this.i++]
    if (c === undefined) throw new GiveUp()
    if (ESCAPED_EMPTY.has(c)) return EMPTY
    if (ESCAPED_CLASS.has(c)) {
      if ((c === 'p' || c === 'P') && s[this.i] === '{') this.i = s.indexOf('}', this.i) + 1
      else if (c === 'p' || c === 'P') this.i++
      return NOTHING_KNOWN
    }
    if (CONTROL[c] !== undefined) return charInfo(CONTROL[c])
    if (c === 'x') {
      const m = /^(?:\{([0-9A-Fa-f]+)\}|([0-9A-Fa-f]{2}))/.exec(s.slice(this.i))
      if (m === null) throw new GiveUp()
      this.i += m[0].length
      const code = parseInt(m[1] ?? m[2], 16)
      return code > 0x7f ? NOTHING_KNOWN : charInfo(String.fromCharCode(code))
    }
    if (c === 'Q') {
      const end = s.indexOf('\\E', this.i)
      const text = s.slice(this.i, end === -1 ? s.length : end)
      this.i = end === -1 ? s.length : end + 2
      let run: Set<string> | undefined = new Set([''])
      for (const ch of text) run = run === undefined ? undefined : product(run, charInfo(ch).exact ?? new Set())
      return run === undefined || run.size === 0 ? NOTHING_KNOWN : { exact: run, factors: undefined }
    }
    if (/[0-9]/.test(c)) throw new GiveUp()
    if (/[A-Za-z]/.test(c)) throw new GiveUp()
    return charInfo(c)
  }

  /** Past a character class (its content never becomes a factor). */
  private skipClass (): void {
    const s = this.s
    if (s[this.i] === '^') this.i++
    if (s[this.i] === ']') this.i++
    while (this.i < s.length && s[this.i] !== ']') {
      if (s[this.i] === '\\') this.i += 2
      else if (s.startsWith('[:', this.i)) {
        const end = s.indexOf(':]', this.i + 2)
        if (end === -1) throw new GiveUp()
        this.i = end + 2
      } else this.i++
    }
    if (s[this.i] !== ']') throw new GiveUp()
    this.i++
  }
}

function usableSet (s: Set<string>): Set<string> | undefined {
  return s.size === 0 || s.has('') ? undefined : s
}
