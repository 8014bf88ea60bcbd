import type { IncomingHttpHeaders } from 'node:http'
import { REDACTED } from '../redaction.js'

/**
 * Keeps the values of redacted headers out of attack entries. A rule that fires on a redacted
 * header (`REQUEST_HEADERS:Authorization`, any `REQUEST_COOKIES:*` when Cookie is redacted) gets
 * its payload written `REDACTED`; everywhere else (a payload read from TX or MATCHED_VAR, a
 * macro-expanded message, a bare cookie that became a cookie *name* in the location) each
 * secret the request carried is replaced where it appears, and a payload that is a window of
 * a secret (long values are cut to a window) is redacted whole.
 */

/** Shorter secrets are not searched for in other text (they would match by chance). */
const MIN_SECRET = 4
/** A payload at least this long that is part of a secret is redacted whole. */
const MIN_WINDOW = 8

export interface RedactableEntry {
  location: string
  payload: string
  msg: string
  /** The rule's logdata, which usually quotes the matched value (`… found within ARGS:q: …`). */
  logdata?: string
}

export class AttackRedactor {
  private readonly secrets: string[] = []
  private readonly cookies: boolean

  /**
   * `headers` as Node gives them (byte strings), `redact` lower-cased names; `decode` turns a
   * byte string into the text the entries hold (so non-ASCII secrets compare alike).
   */
  constructor (headers: IncomingHttpHeaders, private readonly redact: ReadonlySet<string>, decode: (s: string) => string) {
    this.cookies = redact.has('cookie')
    for (const name of redact) {
      const v = headers[name]
      if (v === undefined) continue
      for (const value of typeof v === 'string' ? [v] : v) this.collect(name, value, decode)
    }
    // Longest first, so that a secret containing another is replaced whole.
    this.secrets.sort((a, b) => b.length - a.length)
  }

  /** Whether the request holds anything to redact (most requests do not). */
  get empty (): boolean {
    return this.secrets.length === 0
  }

  private collect (name: string, value: string, decode: (s: string) => string): void {
    const add = (s: string): void => {
      const t = decode(s.trim())
      if (t.length > 0 && !this.secrets.includes(t)) this.secrets.push(t)
    }
    add(value)
    if (name === 'cookie') {
      // Every value and every bare part (no "="), which the cookie parser makes a name.
      for (const part of value.split(';')) {
        const eq = part.indexOf('=')
        add(eq === -1 ? part : part.slice(eq + 1))
      }
    } else {
      // `Scheme credentials`: the credentials alone.
      const sp = value.trim().indexOf(' ')
      if (sp > 0) add(value.trim().slice(sp + 1))
    }
  }

  /** The entry with every secret replaced by `REDACTED` (the same object, changed in place). */
  apply<E extends RedactableEntry> (e: E): E {
    if (this.readsRedacted(e.location)) {
      e.payload = REDACTED
      // A match on a secret: logdata quotes it, whole or in part.
      if (e.logdata !== undefined) e.logdata = REDACTED
    }
    if (this.empty) return e
    e.payload = this.payload(e.payload)
    e.location = this.text(e.location)
    e.msg = this.text(e.msg)
    if (e.logdata !== undefined) e.logdata = this.text(e.logdata)
    return e
  }

  /** `REQUEST_HEADERS:Authorization`, `REQUEST_COOKIES:sid`… */
  private readsRedacted (location: string): boolean {
    const colon = location.indexOf(':')
    // `&…` is a count, never a value.
    if (colon === -1 || location.charCodeAt(0) === 38 /* & */) return false
    const collection = location.slice(0, colon)
    if (collection === 'REQUEST_HEADERS') return this.redact.has(location.slice(colon + 1).toLowerCase())
    return collection === 'REQUEST_COOKIES' && this.cookies
  }

  private payload (p: string): string {
    if (p === REDACTED) return p
    if (p.length >= MIN_WINDOW) {
      for (const s of this.secrets) if (s.includes(p)) return REDACTED
    }
    return this.text(p)
  }

  /** `s` with each secret replaced where it appears. */
  text (s: string): string {
    for (const secret of this.secrets) {
      if (secret.length >= MIN_SECRET && s.includes(secret)) s = s.replaceAll(secret, REDACTED)
    }
    return s
  }
}
