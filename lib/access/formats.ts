import { ESCAPES } from '../text/escape.js'
import type { Escape } from '../text/escape.js'
import { COMBINED, compileFormat } from './format.js'
import type { CompiledFormat } from './format.js'

/** A named format: its `log_format` string and, optionally, its escaping. */
export interface FormatDefinition {
  format: string
  escape?: Escape
}

const NAME = /^[A-Za-z0-9_.-]+$/

/**
 * Named nginx formats of one app, like the `log_format` directives of an nginx config: `combined`
 * is predefined, a name can be defined once. Filters name a format here or give a format string.
 */
export class FormatRegistry {
  private readonly defs = new Map<string, Required<FormatDefinition>>()

  constructor () {
    this.defs.set('combined', { format: COMBINED, escape: 'default' })
  }

  has (name: string): boolean {
    return this.defs.has(name)
  }

  names (): string[] {
    return [...this.defs.keys()]
  }

  /**
   * Defines a format; it is compiled now, so that an error shows at register time. Defining a name
   * again throws, as nginx does for a duplicate `log_format`, unless the definition is the same.
   */
  define (name: string, def: string | FormatDefinition, owner = 'wafLog.defineFormat'): void {
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw new TypeError(`${owner}: format name ${JSON.stringify(name)} must be letters, digits, "_", "-" or "."`)
    }
    const d: FormatDefinition = typeof def === 'string' ? { format: def } : def
    if (d === null || typeof d !== 'object' || typeof d.format !== 'string') {
      throw new TypeError(`${owner}: format "${name}" must be a log_format string or { format, escape }`)
    }
    if (d.escape !== undefined && !ESCAPES.includes(d.escape)) {
      throw new TypeError(`${owner}: format "${name}": option "escape" is ${JSON.stringify(d.escape)}; expected one of ${ESCAPES.join(', ')}`)
    }
    compileFormat(d.format, d.escape ?? 'default', `${owner}: format "${name}"`)
    const old = this.defs.get(name)
    if (old !== undefined) {
      if (old.format === d.format && old.escape === (d.escape ?? 'default')) return
      throw new TypeError(`${owner}: duplicate format name "${name}"`)
    }
    this.defs.set(name, { format: d.format, escape: d.escape ?? 'default' })
  }

  /**
   * Compiles a format name or a format string. The escaping is `escape` when given, else the named
   * format's own, else `default`. A bare word that is not a defined name is an error, not a
   * format of literal text.
   */
  compile (nameOrFormat: string, escape: Escape | undefined, owner: string): CompiledFormat {
    if (typeof nameOrFormat !== 'string' || nameOrFormat.length === 0) {
      throw new TypeError(`${owner}: option "format" must be a format name or an nginx log_format string`)
    }
    const def = this.defs.get(nameOrFormat)
    if (def !== undefined) return compileFormat(def.format, escape ?? def.escape, `${owner}: format "${nameOrFormat}"`)
    if (NAME.test(nameOrFormat)) {
      throw new TypeError(`${owner}: option "format" names "${nameOrFormat}", which is not a defined format; defined: ${this.names().join(', ')}`)
    }
    return compileFormat(nameOrFormat, escape ?? 'default', owner)
  }
}
