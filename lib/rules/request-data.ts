import { flattenJson, parseCookies, parsePairs, percentDecode, splitUrl } from './input.js'
import type { BodyInput, Pair, RequestInput, UrlParts } from './input.js'
import { utf8ToBytes } from './regex.js'
import { maskVersion, transformChain } from './chain.js'
import { entryOf, formUrlDecodeUni } from './form-memo.js'
import type { FormMemo, FormPiece } from './form-memo.js'
import { urlDecodeUni } from './transformations/url-decode-uni.js'
import type { TransformNode } from './model.js'
import { VarEntry } from './variables.js'

/** How much of a request is inspected. A cut is recorded (and logged), never silent. */
export interface RuleLimits {
  /** Arguments inspected (query and body together); the rest are dropped. */
  args: number
  /** Bytes of each value (argument, header, cookie) inspected. */
  valueBytes: number
  /** Bytes of the raw body (REQUEST_BODY) inspected. */
  bodyBytes: number
}

export const DEFAULT_LIMITS: Readonly<RuleLimits> = Object.freeze({ args: 1000, valueBytes: 65536, bodyBytes: 1048576 })

export type CutKind = 'args' | 'value' | 'body'

/** A part of the request the engine did not inspect. */
export interface Cut {
  kind: CutKind
  /** `ARGS`, `ARGS:q`, `REQUEST_HEADERS:Referer`, `REQUEST_BODY`. */
  location: string
  /** The size before the cut: arguments for `args`, bytes otherwise; -1 when unknown. */
  size: number
}

/** The transformation trie's node of urlDecodeUni alone (the trie is the process's: one node for good). */
let uniNode_: TransformNode | undefined
function uniNode (): TransformNode {
  return uniNode_ ??= transformChain(['urlDecodeUni'])
}

/**
 * The request parsed into the pieces collections are made of, lazily: a rule set that never
 * looks at cookies never parses them. Limits are applied here, and every cut is recorded.
 */
export class RequestData {
  readonly url: UrlParts
  readonly cuts: Cut[] = []
  body: BodyInput | undefined = undefined
  /** Urlencoded pairs remembered across requests (the result cache's), or undefined. */
  forms: FormMemo | undefined = undefined
  /** The trigger bits of the form's text from its remembered pairs (FormMemo.parse), and their version; -1 when unknown. */
  private formMask = -1
  private formMaskOf = -1
  /** The form's pieces between `&`s as FormMemo.parse gave them (for REQUEST_BODY's urlDecodeUni), or undefined. */
  private formPieces: FormPiece[] | undefined = undefined
  private argsSeen = 0
  private get_: VarEntry[] | undefined
  private post_: VarEntry[] | undefined
  private headers_: VarEntry[] | undefined
  private cookies_: VarEntry[] | undefined
  private decodedUri_: string | undefined
  /** Whether the body's cut is recorded (once, by setBody or by the first REQUEST_BODY read). */
  private bodyCut = false

  constructor (readonly input: RequestInput, readonly limits: RuleLimits) {
    this.url = splitUrl(input.url)
  }

  /** The value cut to `valueBytes`, the cut recorded at `collection:key` (no closure per value: most are never cut). */
  private cutValue (value: string, collection: string, key: string): string {
    if (value.length <= this.limits.valueBytes) return value
    this.cuts.push({ kind: 'value', location: `${collection}:${key}`, size: value.length })
    return value.slice(0, this.limits.valueBytes)
  }

  private argEntries (pairs: Pair[], collection: string): VarEntry[] {
    const room = Math.max(0, this.limits.args - this.argsSeen)
    if (pairs.length > room) {
      this.cuts.push({ kind: 'args', location: collection, size: this.argsSeen + pairs.length })
      pairs = pairs.slice(0, room)
    }
    this.argsSeen += pairs.length
    return pairs.map(p => entryOf(p, this.cutValue(p.value, collection, p.key)))
  }

  argsGet (): VarEntry[] {
    if (this.get_ === undefined) {
      const pairs: Pair[] = []
      parsePairs(this.url.query, pairs)
      this.get_ = this.argEntries(pairs, 'ARGS_GET')
    }
    return this.get_
  }

  argsPost (): VarEntry[] {
    if (this.post_ === undefined) {
      const body = this.body
      const pairs: Pair[] = []
      let complete = true
      if (body?.form !== undefined) {
        if (this.forms !== undefined) {
          this.formPieces = []
          this.formMask = this.forms.parse(body.form, pairs, this.formPieces)
          this.formMaskOf = maskVersion()
        } else parsePairs(body.form, pairs)
      }
      else if (body?.fields !== undefined) pairs.push(...body.fields)
      else if (body?.json !== undefined) complete = flattenJson(body.json, pairs, this.limits.args + 1)
      if (!complete) this.cuts.push({ kind: 'args', location: 'ARGS_POST', size: pairs.length })
      this.argsGet() // GET arguments count first against the limit
      this.post_ = this.argEntries(pairs, 'ARGS_POST')
    }
    return this.post_
  }

  /**
   * Sets the body for phase 2; POST arguments are parsed on first use. A raw body longer than
   * `bodyBytes` is recorded as cut at once, whether or not a rule reads REQUEST_BODY.
   */
  setBody (body: BodyInput | undefined): void {
    this.body = body
    this.post_ = undefined
    this.formMask = -1
    this.formPieces = undefined
    const raw = body?.raw ?? body?.form
    if (raw !== undefined && raw.length > this.limits.bodyBytes && !this.bodyCut) {
      this.bodyCut = true
      this.cuts.push({ kind: 'body', location: 'REQUEST_BODY', size: raw.length })
    }
  }

  /** The raw body for REQUEST_BODY, cut to `bodyBytes`; undefined without a body. */
  rawBody (): string | undefined {
    const body = this.body
    if (body === undefined) return undefined
    let raw = body.raw ?? body.form
    if (raw === undefined && body.json !== undefined) {
      try {
        raw = utf8ToBytes(JSON.stringify(body.json) ?? '')
      } catch {
        // Too deep to serialize (the parsed body itself was fine): nothing to inspect, and said so.
        this.cuts.push({ kind: 'body', location: 'REQUEST_BODY', size: -1 })
        return ''
      }
    }
    if (raw === undefined) return undefined
    if (raw.length > this.limits.bodyBytes) {
      if (!this.bodyCut) this.cuts.push({ kind: 'body', location: 'REQUEST_BODY', size: raw.length })
      this.bodyCut = true
      raw = raw.slice(0, this.limits.bodyBytes)
    }
    return raw
  }

  /**
   * REQUEST_BODY's entries: the raw body. When it is the form's whole text (not cut), its
   * trigger bits come from the form's pairs when they are known, and its urlDecodeUni is put in
   * its transformation cache joined from the pairs' (formUrlDecodeUni): the 4 KB form is not
   * decoded again on every request.
   */
  rawBodyEntries (): VarEntry[] {
    const raw = this.rawBody()
    if (raw === undefined) return []
    const e = new VarEntry('', '', raw)
    if (raw === this.body?.form) {
      if (this.formMask !== -1 && this.formMaskOf === maskVersion()) {
        e.mask = this.formMask
        e.maskOf = this.formMaskOf
      }
      const pieces = this.formPieces
      const node = uniNode()
      if (pieces !== undefined && node.fn === urlDecodeUni) {
        e.tcIds = [node.id]
        e.tcValues = [formUrlDecodeUni(pieces)]
      }
    }
    return [e]
  }

  headers (): VarEntry[] {
    if (this.headers_ === undefined) {
      const out: VarEntry[] = []
      const raw = this.input.rawHeaders
      if (raw !== undefined) {
        for (let i = 0; i + 1 < raw.length; i += 2) {
          const name = raw[i]
          out.push(new VarEntry(name, name.toLowerCase(), this.cutValue(raw[i + 1], 'REQUEST_HEADERS', name)))
        }
      } else if (this.input.headers !== undefined) {
        for (const [name, v] of Object.entries(this.input.headers)) {
          if (v === undefined) continue
          for (const one of typeof v === 'string' ? [v] : v) {
            out.push(new VarEntry(name, name.toLowerCase(), this.cutValue(one, 'REQUEST_HEADERS', name)))
          }
        }
      }
      this.headers_ = out
    }
    return this.headers_
  }

  /** The first value of a header, by lower-cased name. */
  header (lname: string): string | undefined {
    for (const e of this.headers()) if (e.lkey === lname) return e.value
    return undefined
  }

  cookies (): VarEntry[] {
    if (this.cookies_ === undefined) {
      const pairs: Pair[] = []
      for (const e of this.headers()) if (e.lkey === 'cookie') parseCookies(e.value, pairs)
      this.cookies_ = pairs.map(p => new VarEntry(p.key, p.key.toLowerCase(), this.cutValue(p.value, 'REQUEST_COOKIES', p.key)))
    }
    return this.cookies_
  }

  /** The request target without scheme and host, percent-decoded (ModSecurity v3's REQUEST_URI). */
  decodedUri (): string {
    if (this.decodedUri_ === undefined) this.decodedUri_ = percentDecode(this.url.local, false)
    return this.decodedUri_
  }

  /** The decoded path (REQUEST_FILENAME): the decoded target up to the first `?`. */
  decodedPath (): string {
    return percentDecode(this.url.path, false)
  }

  get protocol (): string {
    return this.input.protocol ?? 'HTTP/1.1'
  }
}
