import type { GatewayConfig } from './config.js'

/**
 * The start-up banner: where the gateway listens (`port` is the bound one: the config may say 0)
 * and where its logs go. One write, so a reader that sees the first line (a test, a supervisor)
 * sees the whole banner.
 */
export function banner (config: GatewayConfig, port: number, upstream: string, demo: boolean): string {
  const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host
  const host = (h: string): string => h.includes(':') ? `[${h}]` : h
  const scheme = config.edge.tls === undefined ? 'http' : 'https'
  const where = `${scheme}://${host(shown)}:${port}`
  const lines = [
    `fastify-waflog gateway listening on ${scheme}://${host(config.host)}:${port} (${config.workers} worker${config.workers === 1 ? '' : 's'}, mode ${config.mode}${config.edge.http2 ? ', HTTP/2' : ''})`,
    `  config:   ${config.source}`,
    `  upstream: ${upstream}${demo ? ' (the bundled demo upstream)' : ''}`
  ]
  for (const [name, url] of Object.entries(config.channels)) lines.push(`  ${(name + ' log:').padEnd(14)}${url}`)
  lines.push(`  status:   ${where}${config.status.path} (from ${config.status.allow.join(', ')})`)
  if (config.edge.health !== undefined) lines.push(`  health:   ${where}${config.edge.health.path}`)
  if (config.metrics !== undefined) lines.push(`  metrics:  ${where}${config.metrics.path} (from ${config.metrics.allow.join(', ')})`)
  lines.push(`  reload:   kill -HUP ${process.pid}   # config, rules; kill -USR1 ${process.pid} reopens the log files`)
  lines.push(`  try:      curl '${where}/?q=1%27%20or%201=1'   # 403, and a line in the attack log`)
  return lines.join('\n') + '\n'
}
