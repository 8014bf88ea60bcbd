import { checkBoolean, checkChannel, checkHeaderNames, checkOneOf, checkOptionNames, isHeaderName } from '../options.js'
import type { ChannelNames } from '../options.js'
import { DEFAULT_REDACT_REQUEST_HEADERS } from '../redaction.js'
import { HeaderNameSet } from './headers.js'
import { FLUSH_BATCH, FLUSH_NOW, FLUSH_TURN } from './log.js'
import type { Flush } from './log.js'

/** What happens when a forensic line cannot be written. */
export type ForensicWriteFailure = 'drop' | 'reject' | 'exit'

/** The forensic log's own options (the plugin adds `include` / `exclude` / `routes`). */
export interface ForensicOptions {
  /** The channel of the `default` filter of the `forensic` stream (`'forensic'`). */
  channel?: string
  /** Header names whose values are logged as `REDACTED` (`authorization`, `proxy-authorization`, `cookie`); `[]` logs every header as received. */
  redact?: string[]
  /** `'drop'` counts and carries on (default); `'reject'` answers 503 without running the handler; `'exit'` ends the process, as httpd does. */
  onWriteFailure?: ForensicWriteFailure
  /** A response header that carries the request id back, such as `'x-request-id'`. */
  responseHeader?: string
  /**
   * When a "+" line is written. `true` (the default): its write starts at once, before the
   * handler runs, as httpd writes it, so that a request which hangs or kills the process leaves
   * its line behind. `'turn'`: the "+" lines of one event-loop turn go out together in one write
   * when the turn ends: much cheaper under load, and still before anything the request waits for
   * (I/O, timers) completes; only a request that kills or blocks the process synchronously in the
   * turn it arrived in loses its line (and those of the same turn). `false`: "+" lines wait for
   * the channel's `flushLimit` / `flushInterval`; a crash loses what was queued.
   */
  immediate?: boolean | 'turn'
  /** Also log requests that the HTTP parser refused, from the bytes received (true; httpd logs none of them). Needs `wafServerOptions()`. */
  clientErrors?: boolean
}

/** The options checked, with their defaults. */
export interface ForensicSettings {
  channel: string
  redact: HeaderNameSet
  onFailure: ForensicWriteFailure
  responseHeader: string | undefined
  /** How a "+" line of a request that reached the framework is flushed. */
  immediate: Flush
  clientErrors: boolean
}

const OWNER = 'waf-forensic'
const KNOWN = new Set(['channel', 'redact', 'onWriteFailure', 'responseHeader', 'immediate', 'clientErrors', 'include', 'exclude', 'routes'])
const FAILURE_MODES: readonly ForensicWriteFailure[] = ['drop', 'reject', 'exit']

/** Checks the options (every error names the option) and fills in the defaults. */
export function resolveForensicOptions (opts: ForensicOptions, channels: ChannelNames): ForensicSettings {
  checkOptionNames(OWNER, opts, KNOWN)
  const channel = checkChannel(OWNER, opts.channel, 'forensic', channels)
  checkHeaderNames(OWNER, 'redact', opts.redact, ', such as ["authorization", "cookie"]')
  checkOneOf(OWNER, 'onWriteFailure', opts.onWriteFailure, FAILURE_MODES)
  if (opts.responseHeader !== undefined && !isHeaderName(opts.responseHeader)) {
    throw new TypeError(`${OWNER}: option "responseHeader" must be a header name, such as "x-request-id"`)
  }
  if (opts.immediate !== undefined && typeof opts.immediate !== 'boolean' && opts.immediate !== 'turn') {
    throw new TypeError(`${OWNER}: option "immediate" must be true, 'turn' or false, got ${JSON.stringify(opts.immediate)}`)
  }
  checkBoolean(OWNER, 'clientErrors', opts.clientErrors, 'a boolean')
  return {
    channel,
    redact: new HeaderNameSet(opts.redact ?? DEFAULT_REDACT_REQUEST_HEADERS),
    onFailure: opts.onWriteFailure ?? 'drop',
    responseHeader: opts.responseHeader,
    immediate: opts.immediate === false ? FLUSH_BATCH : opts.immediate === 'turn' ? FLUSH_TURN : FLUSH_NOW,
    clientErrors: opts.clientErrors ?? true
  }
}
