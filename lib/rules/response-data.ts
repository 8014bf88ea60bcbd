import { VarEntry } from './variables.js'

/**
 * The response as the engine sees it (phases 3 and 4), free of any framework. Header values are
 * byte strings, as Node keeps them; names are compared lower-cased.
 */
export interface ResponseInput {
  status: number
  /** `HTTP/1.1` (the default). */
  protocol?: string
  /** The headers as the framework holds them (Fastify's `reply.getHeaders()`, Node's `res.getHeaders()`). */
  headers: Readonly<Record<string, string | number | readonly string[] | undefined>>
  /** The body's length when it is known though no Content-Length header says it (a string or Buffer payload). */
  length?: number
}

/** What of a response body went uninspected: past the limit, or in an encoding that is not decoded. */
export interface ResponseCut {
  kind: 'responseBody' | 'responseEncoding'
  /** The body's size (`1234`, `more than 524288`), or the encoding's name. */
  detail: string
  /** Bytes inspected. */
  inspected: number
  /** Whether the cut denies (SecResponseBodyLimitAction Reject in block mode). */
  deny: boolean
}

/**
 * Header names as HTTP/1.1 messages usually spell them (`Server`, `X-Powered-By`): the framework
 * keeps them lower-cased, and the attack log's locations read as ModSecurity's do.
 */
export function headerCase (name: string): string {
  let out = ''
  let up = true
  for (let i = 0; i < name.length; i++) {
    const c = name[i]
    out += up ? c.toUpperCase() : c
    up = c === '-'
  }
  return out
}

/** The response's variables, built once per transaction; the body arrives for phase 4. */
export class ResponseData {
  readonly status: string
  readonly protocol: string
  readonly headers: VarEntry[] = []
  readonly contentType: string | undefined
  readonly contentLength: string | undefined
  /** RESPONSE_BODY as a byte string (undefined until phase 4, or when it is not inspected). */
  body: string | undefined = undefined
  readonly cuts: ResponseCut[] = []

  constructor (input: ResponseInput) {
    this.status = String(input.status)
    this.protocol = input.protocol ?? 'HTTP/1.1'
    let type: string | undefined
    let length: string | undefined
    for (const name in input.headers) {
      const v = input.headers[name]
      if (v === undefined) continue
      const lname = name.toLowerCase()
      const key = headerCase(name)
      if (typeof v === 'object') {
        for (const one of v) this.headers.push(new VarEntry(key, lname, one))
      } else {
        const s = String(v)
        this.headers.push(new VarEntry(key, lname, s))
        if (lname === 'content-type') type = s
        else if (lname === 'content-length') length = s
      }
    }
    this.contentType = type
    this.contentLength = length ?? (input.length === undefined ? undefined : String(input.length))
  }

  /** Removes every value of a header (lower-case name); whether there was one. */
  dropHeader (lname: string): boolean {
    const before = this.headers.length
    for (let i = this.headers.length - 1; i >= 0; i--) if (this.headers[i].lkey === lname) this.headers.splice(i, 1)
    return this.headers.length !== before
  }

  header (lname: string): string | undefined {
    for (const e of this.headers) if (e.lkey === lname) return e.value
    return undefined
  }
}
