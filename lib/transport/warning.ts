import type { TransportLogger, TransportWarning } from './types.js'

/** Where a channel's warnings go. */
export type WarningSink = (warning: TransportWarning) => void

/**
 * The sink of a transport's warnings: `onWarning` when given, else the logger, else
 * `process.emitWarning` — so that lost lines are reported in an app that has no logger (Node
 * prints process warnings to stderr unless the app handles them: `process.on('warning')`).
 */
export function warningSink (onWarning: WarningSink | undefined, logger: TransportLogger | undefined): WarningSink {
  if (onWarning !== undefined) return onWarning
  if (logger !== undefined) {
    return w => logger.warn({ channel: w.channel, url: w.url, errors: w.errors, dropped: w.dropped, lastError: w.lastError, stats: w.stats }, w.message)
  }
  return processWarning
}

/** `(node:1234) [WAFLOG_DROP] WafLogWarning: waf-socket: channel "access" (tcp://…): 12 line(s) dropped`. */
export function processWarning (w: TransportWarning): void {
  process.emitWarning(w.message, { type: 'WafLogWarning', code: w.code })
}
