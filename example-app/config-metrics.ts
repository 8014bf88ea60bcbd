import { AllowList } from './allow-list.js'

/**
 * The `metrics` setting: `metrics: { path: /metrics, allow: [...] }` (or `metrics: true` for the
 * defaults) serves Prometheus's text format; left out, there is no metrics endpoint.
 */

export interface MetricsConfig {
  path: string
  /** Addresses and CIDR ranges that may scrape; loopback only by default, like the status endpoint. */
  allow: string[]
}

export const LOOPBACK_ONLY: readonly string[] = ['127.0.0.1', '::1', '::ffff:127.0.0.1']

/** What config-reader.ts's Reader offers, as far as this setting needs it. */
export interface SettingReader {
  obj(v: unknown, path: string): Record<string, unknown>
  keys(obj: Record<string, unknown>, path: string, allowed: readonly string[]): void
  str(v: unknown, path: string): string | undefined
  strings(v: unknown, path: string): string[] | undefined
  fail(path: string, expected: string, got: unknown): never
}

/** Checks an allow list's entries at load time, so that a bad one is a configuration error naming the setting. */
export function readAllow (r: SettingReader, v: unknown, path: string): string[] {
  const allow = r.strings(v, path) ?? [...LOOPBACK_ONLY]
  try {
    void new AllowList(allow, path)
  } catch (err) {
    return r.fail(path, 'a list of IP addresses or CIDR ranges', (err as Error).message)
  }
  return allow
}

export function readMetrics (r: SettingReader, raw: unknown): MetricsConfig | undefined {
  if (raw === undefined || raw === null || raw === false) return undefined
  const m = raw === true ? {} : r.obj(raw, 'metrics')
  r.keys(m, 'metrics', ['path', 'allow'])
  const path = r.str(m.path, 'metrics.path') ?? '/metrics'
  if (!path.startsWith('/')) r.fail('metrics.path', 'a path that starts with "/"', path)
  return { path, allow: readAllow(r, m.allow, 'metrics.allow') }
}
