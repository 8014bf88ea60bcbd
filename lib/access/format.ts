import type { RecordSource } from './record-source.js'
import { ESCAPES, escaperOf, missingOf } from '../text/escape.js'
import type { Escape, EscapeFn } from '../text/escape.js'
import { lookupVariable } from './variables.js'
import type { VariableGetter } from './variables.js'

/**
 * nginx `log_format` strings, compiled once into an array of ops as ngx_http_log_compile_format
 * does: literal text, and variables (`$name` or `${name}`, names of `[A-Za-z0-9_]`). A line is
 * then one pass over the ops, with no parsing per request.
 */

/** One step of a compiled format. All ops share one shape, so the render loop stays monomorphic. */
interface Op {
  /** Literal text; empty for a variable. */
  readonly text: string
  readonly get: VariableGetter | null
  /** Written without escaping. */
  readonly raw: boolean
}

export interface CompiledFormat {
  /** The format string as given. */
  readonly text: string
  readonly escape: Escape
  /** The variable names used, lowercased, in order. */
  readonly variables: readonly string[]
  /** The line for one request, without a newline. */
  render(src: RecordSource): string
}

/** The message of a format error, naming where it is. */
function where (owner: string, at: number): string {
  return `${owner}: the format has an error at character ${at + 1}`
}

function isNameChar (c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95
}

class Format implements CompiledFormat {
  private readonly escaper: EscapeFn
  private readonly missing: string

  constructor (readonly text: string, readonly escape: Escape, private readonly ops: readonly Op[], readonly variables: readonly string[]) {
    this.escaper = escaperOf(escape)
    this.missing = missingOf(escape)
  }

  render (src: RecordSource): string {
    const ops = this.ops
    let out = ''
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]
      if (op.get === null) {
        out += op.text
        continue
      }
      const v = op.get(src)
      out += v === undefined ? this.missing : op.raw ? v : this.escaper(v)
    }
    return out
  }
}

/**
 * Compiles a format. Errors (a `$` with no name, an unclosed `${`, an unknown variable) throw a
 * TypeError whose message starts with `owner` and names the variable and its position.
 */
export function compileFormat (text: string, escape: Escape = 'default', owner = 'log_format'): CompiledFormat {
  if (typeof text !== 'string') throw new TypeError(`${owner}: the format must be a string`)
  if (!ESCAPES.includes(escape)) {
    throw new TypeError(`${owner}: option "escape" is ${JSON.stringify(escape)}; expected one of ${ESCAPES.join(', ')}`)
  }
  const ops: Op[] = []
  const variables: string[] = []
  let i = 0
  while (i < text.length) {
    if (text.charCodeAt(i) !== 36 /* $ */) {
      let end = text.indexOf('$', i)
      if (end === -1) end = text.length
      ops.push({ text: text.slice(i, end), get: null, raw: true })
      i = end
      continue
    }
    const dollar = i
    i++
    let bracket = false
    if (i < text.length && text.charCodeAt(i) === 123 /* { */) {
      bracket = true
      i++
    }
    const start = i
    while (i < text.length && isNameChar(text.charCodeAt(i))) i++
    const name = text.slice(start, i)
    if (bracket) {
      if (i >= text.length || text.charCodeAt(i) !== 125 /* } */) {
        throw new TypeError(`${where(owner, dollar)}: the closing bracket in "\${${name}" is missing`)
      }
      i++
    }
    if (name.length === 0) {
      throw new TypeError(`${where(owner, dollar)}: "$" is not followed by a variable name (write a literal dollar sign with a variable that holds one)`)
    }
    const v = lookupVariable(name)
    if (v === undefined) throw new TypeError(`${where(owner, dollar)}: unknown variable "$${name}"`)
    ops.push({ text: '', get: v.get, raw: v.raw })
    variables.push(name.toLowerCase())
  }
  return new Format(text, escape, ops, variables)
}

/** nginx's predefined `combined` format. */
export const COMBINED = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"'
