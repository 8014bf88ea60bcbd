import type { SectionReader } from './config-rules.js'

/**
 * The reader every section of the gateway's configuration uses, and the error it throws: a module
 * of its own so that config.ts and the section readers beside it (config-edge.ts, tls.ts) all
 * import it without importing each other in a circle.
 */

export type Mode = 'block' | 'detect' | 'off'

/** A configuration that cannot run; the message names the setting. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

export type Obj = Record<string, unknown>

export function isObj (v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/** Reads settings off a parsed YAML object, naming the path of each in errors. */
export class Reader implements SectionReader {
  constructor (private readonly where: string) {}

  fail (path: string, expected: string, got: unknown): never {
    throw new ConfigError(`${this.where}: "${path}" must be ${expected} (got ${JSON.stringify(got)})`)
  }

  keys (obj: Obj, path: string, allowed: readonly string[]): void {
    for (const k of Object.keys(obj)) {
      if (!allowed.includes(k)) {
        throw new ConfigError(`${this.where}: "${path === '' ? k : `${path}.${k}`}" is not a known setting (known: ${allowed.join(', ')})`)
      }
    }
  }

  obj (v: unknown, path: string): Obj {
    if (v === undefined || v === null) return {}
    if (!isObj(v)) this.fail(path, 'a mapping', v)
    return v
  }

  str (v: unknown, path: string): string | undefined {
    if (v === undefined || v === null) return undefined
    if (typeof v !== 'string' || v.length === 0) this.fail(path, 'a non-empty string', v)
    return v
  }

  bool (v: unknown, path: string): boolean | undefined {
    if (v === undefined || v === null) return undefined
    if (typeof v !== 'boolean') this.fail(path, 'true or false', v)
    return v
  }

  int (v: unknown, path: string, min: number, max: number): number | undefined {
    if (v === undefined || v === null) return undefined
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(path, `a whole number from ${min} to ${max}`, v)
    return v
  }

  mode (v: unknown, path: string): Mode | undefined {
    if (v === undefined || v === null) return undefined
    if (v !== 'block' && v !== 'detect' && v !== 'off') this.fail(path, 'one of block, detect, off', v)
    return v
  }

  url (v: unknown, path: string, protocols: readonly string[]): string | undefined {
    const s = this.str(v, path)
    if (s === undefined) return undefined
    let u: URL
    try {
      u = new URL(s)
    } catch {
      return this.fail(path, `a URL (${protocols.join(', ')})`, v)
    }
    if (!protocols.includes(u.protocol)) this.fail(path, `a URL with one of ${protocols.join(', ')}`, v)
    return s
  }

  strings (v: unknown, path: string): string[] | undefined {
    if (v === undefined || v === null) return undefined
    if (!Array.isArray(v) || v.some(x => typeof x !== 'string' || x.length === 0)) this.fail(path, 'a list of strings', v)
    return v as string[]
  }
}
