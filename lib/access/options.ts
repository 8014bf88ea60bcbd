import type { ChannelNames } from '../options.js'
import { checkChannel, checkFunction, checkHeaderNames } from '../options.js'
import { ESCAPES } from '../text/escape.js'
import type { Escape } from '../text/escape.js'
import type { FormatDefinition } from './formats.js'

/** The access log's options as far as lib checks them (the callbacks take the framework's request and reply). */
export interface AccessLogOptionValues {
  channel?: string
  format?: string
  formats?: Record<string, string | FormatDefinition>
  escape?: Escape
  condition?: unknown
  customFields?: unknown
  redactHeaders?: string[]
}

/** Checks the access log's options; every error names the option, prefixed with `owner`. */
export function checkAccessLogOptions (owner: string, opts: AccessLogOptionValues, channels: ChannelNames): void {
  checkChannel(owner, opts.channel, 'access', channels)
  if (opts.format !== undefined && (typeof opts.format !== 'string' || opts.format.length === 0)) {
    throw new TypeError(`${owner}: option "format" must be "json", "combined", "tsv", a name from "formats" or an nginx log_format string`)
  }
  if (opts.escape !== undefined && !ESCAPES.includes(opts.escape)) {
    throw new TypeError(`${owner}: option "escape" is ${JSON.stringify(opts.escape)}; expected one of ${ESCAPES.join(', ')}`)
  }
  if (opts.escape !== undefined && (opts.format === undefined || opts.format === 'json' || opts.format === 'tsv')) {
    throw new TypeError(`${owner}: option "escape" applies to nginx formats only, not to format "${opts.format ?? 'json'}"`)
  }
  if (opts.formats !== undefined && (opts.formats === null || typeof opts.formats !== 'object' || Array.isArray(opts.formats))) {
    throw new TypeError(`${owner}: option "formats" must map format names to log_format strings`)
  }
  checkFunction(owner, 'condition', opts.condition)
  checkFunction(owner, 'customFields', opts.customFields)
  checkHeaderNames(owner, 'redactHeaders', opts.redactHeaders, '', false)
}
