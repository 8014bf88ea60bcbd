import type { IncomingMessage } from 'node:http'
import type { BodyInput, RequestInput } from './input.js'
import { utf8ToBytes } from './regex.js'

/**
 * The engine's input from a Node request: the request target and headers exactly as received
 * (Node reads both as latin1, so they are already byte strings).
 */
export function inputFromIncoming (req: IncomingMessage, remoteAddress: string | undefined): RequestInput {
  return {
    method: req.method ?? '',
    url: req.url ?? '',
    protocol: `HTTP/${req.httpVersion}`,
    rawHeaders: req.rawHeaders,
    remoteAddress
  }
}

/**
 * The engine's body from what the framework parsed: the raw text of a urlencoded body when
 * the rules plugin's parser kept it, a Buffer or string as raw text, an object as JSON.
 */
export function bodyInput (body: unknown, rawForm: string | undefined): BodyInput | undefined {
  if (rawForm !== undefined) return { form: rawForm }
  if (body === undefined || body === null) return undefined
  if (Buffer.isBuffer(body)) return { raw: body.toString('latin1') }
  if (typeof body === 'string') return { raw: utf8ToBytes(body) }
  if (typeof body === 'object') return { json: body }
  return { raw: String(body) }
}
