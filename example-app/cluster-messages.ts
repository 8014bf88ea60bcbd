import type { GatewayConfig } from './config.js'
import type { MetricFamily } from '../lib/metrics/families.js'

/**
 * The messages between the gateway's primary and its workers (node:cluster IPC). Every message
 * carries `waf`, its kind, so that other messages on the channel (Node's own) are told apart.
 */

/** Primary → worker. */
export type ToWorker =
  /** The configuration to build the gateway with, and the default upstream (the demo one when the config has none). */
  | { waf: 'start', config: GatewayConfig, upstream: string }
  /** Every worker of the generation is built: start listening. */
  | { waf: 'listen' }
  /**
   * Stop accepting, finish in-flight requests, drain the channels, send a final heartbeat, exit.
   * `replaced`: a reload (new workers serve already); `shutdown`: the gateway stops.
   */
  | { waf: 'drain', why: 'replaced' | 'shutdown' }
  /** Reopen every file:// channel (logrotate). */
  | { waf: 'reopen' }
  /** Send your metric families (for a scrape). */
  | { waf: 'collect', seq: number }
  /** The answer to a `scrape`: the cluster's metrics in the text exposition format. */
  | { waf: 'scraped', seq: number, text: string }

/** Worker → primary. */
export type ToPrimary =
  /** The IPC channel is up: send the configuration. */
  | { waf: 'hello' }
  /** The gateway is built (rules compiled, plugins ready) and waits for `listen`. */
  | { waf: 'ready', /** The one-line rules summary (rulesSummary), printed once per generation. */ rules?: string }
  | { waf: 'listening', port: number }
  /** Building or listening failed: the message names the file, setting or rule and the reason. */
  | { waf: 'failed', message: string }
  | { waf: 'reopened', files: string[] }
  | { waf: 'collected', seq: number, families: MetricFamily[] }
  /** Its last counters, sent after the gateway closed and before the worker exits. */
  | { waf: 'final', families: MetricFamily[] }
  /** A client asked this worker for /metrics: ask the primary for every worker's. */
  | { waf: 'scrape', seq: number }

function isMessage (m: unknown): m is { waf: string } {
  return typeof m === 'object' && m !== null && typeof (m as { waf?: unknown }).waf === 'string'
}

export function isToWorker (m: unknown): m is ToWorker {
  return isMessage(m)
}

export function isToPrimary (m: unknown): m is ToPrimary {
  return isMessage(m)
}
