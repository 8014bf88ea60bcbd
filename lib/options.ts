/**
 * The option checks every waf plugin shares, so that each bad option fails at register time
 * with one wording: `<owner>: option "<name>" …`.
 */

/** Options Fastify itself adds to what a plugin receives (register options). */
const FASTIFY_REGISTER_OPTIONS: ReadonlySet<string> = new Set(['prefix', 'logLevel', 'logSerializers'])

/** RFC 9110 token characters, for header names. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** The channels a plugin may name (the transport's). */
export interface ChannelNames {
  has(name: string): boolean
  names(): string[]
}

/**
 * Throws unless `opts` is an object whose every key is in `known` (or, for a plugin Fastify
 * registers, one Fastify adds). `shape` completes "options must be …" (`an object`,
 * `an object with "channels"`).
 */
export function checkOptionNames (owner: string, opts: unknown, known: ReadonlySet<string>, shape = 'an object', registered = true): void {
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${owner}: options must be ${shape}`)
  for (const key of Object.keys(opts)) {
    if (!known.has(key) && !(registered && FASTIFY_REGISTER_OPTIONS.has(key))) {
      throw new TypeError(`${owner}: option "${key}" is not an option; known: ${[...known].join(', ')}`)
    }
  }
}

/** The channel named by option `option` (`fallback` when unset), which must be one of `channels`. */
export function checkChannel (owner: string, value: unknown, fallback: string, channels: ChannelNames, option = 'channel'): string {
  if (value !== undefined && (typeof value !== 'string' || value.length === 0)) {
    throw new TypeError(`${owner}: option "${option}" must be a channel name (a non-empty string)`)
  }
  const name = (value as string | undefined) ?? fallback
  if (!channels.has(name)) {
    throw new TypeError(`${owner}: option "${option}" names ${JSON.stringify(name)}, which is not a channel of waf-socket (configured: ${channels.names().join(', ') || 'none'})`)
  }
  return name
}

/** Throws unless `value` is undefined or a boolean; `wording` completes "must be …". */
export function checkBoolean (owner: string, option: string, value: unknown, wording = 'true or false'): void {
  if (value !== undefined && typeof value !== 'boolean') throw new TypeError(`${owner}: option "${option}" must be ${wording}`)
}

/** Throws unless `value` is undefined or a function. */
export function checkFunction (owner: string, option: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') throw new TypeError(`${owner}: option "${option}" must be a function`)
}

/** Whether `name` is a header name (an RFC 9110 token). */
export function isHeaderName (name: unknown): name is string {
  return typeof name === 'string' && TOKEN.test(name)
}

/** Throws unless `value` is undefined or an array of header names (`tokensOnly`: RFC 9110 tokens, else any non-empty string); `example` ends the message. */
export function checkHeaderNames (owner: string, option: string, value: unknown, example = '', tokensOnly = true): void {
  const ok = tokensOnly ? isHeaderName : (n: unknown) => typeof n === 'string' && n.length > 0
  if (value !== undefined && (!Array.isArray(value) || !value.every(ok))) {
    throw new TypeError(`${owner}: option "${option}" must be an array of header names${example}`)
  }
}

/** Throws unless `value` is undefined or one of `allowed`. */
export function checkOneOf<T> (owner: string, option: string, value: unknown, allowed: readonly T[]): void {
  if (value !== undefined && !allowed.includes(value as T)) {
    throw new TypeError(`${owner}: option "${option}" must be one of ${allowed.map(m => `'${String(m)}'`).join(', ')}, got ${JSON.stringify(value)}`)
  }
}
