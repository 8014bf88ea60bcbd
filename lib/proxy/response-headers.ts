import { RESPONSE_DROPPED, connectionOptions } from './hop-by-hop.js'
import { fieldNameOf } from './header-names.js'

/** Response header fields by lowercase name; a repeated field as an array of its values, in order. */
export type ResponseHeaders = Record<string, string | string[]>

/**
 * An upstream's response head as undici's dispatch gives it (name, value, name, value … as
 * bytes) turned into the fields to send the client in one pass: names lower-cased (the common ones
 * as constants, `header-names.ts`), values read as
 * latin1 (byte for byte, as undici and Node's HTTP writer read them), repeated fields gathered
 * into arrays, and the hop-by-hop fields (`lib/proxy/hop-by-hop.ts`), with those the upstream's
 * `Connection` names, left out.
 */
export function responseHeadersOf (raw: Buffer[]): ResponseHeaders {
  const n = raw.length
  const names = new Array<string>(n >> 1)
  let listed: readonly string[] | undefined
  for (let i = 0; i < n; i += 2) {
    const name = fieldNameOf(raw[i])
    names[i >> 1] = name
    if (name === 'connection') {
      const options = connectionOptions(raw[i + 1].toString('latin1'))
      listed = listed === undefined ? options : listed.concat(options)
    }
  }
  const out: ResponseHeaders = {}
  for (let i = 0; i < n; i += 2) {
    const name = names[i >> 1]
    // `__proto__` is no field name anyone sends; as a key it would reach the prototype.
    if (RESPONSE_DROPPED.has(name) || name === '__proto__' || (listed !== undefined && listed.includes(name))) continue
    const value = raw[i + 1].toString('latin1')
    const prior = out[name]
    if (prior === undefined) out[name] = value
    else if (typeof prior === 'string') out[name] = [prior, value]
    else prior.push(value)
  }
  return out
}
