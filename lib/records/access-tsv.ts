import type { TsvType } from '../log/types.js'

/** The columns of the access log's `tsv` format, in order, and their Zeek types. */
export const TSV_COLUMNS: readonly string[] = [
  'started_at', 'id', 'host', 'client_ip', 'client_port',
  'request.method', 'request.uri', 'request.http_version', 'request.size',
  'request.headers.referer', 'request.headers.user-agent',
  'response.status', 'response.size',
  'upstream.addr', 'upstream.status',
  'latencies.request', 'latencies.proxy', 'latencies.waf',
  'waf.mode', 'waf.action', 'waf.attacks', 'worker', 'node'
]

export const TSV_TYPES: Readonly<Record<string, TsvType>> = {
  started_at: 'time',
  id: 'string',
  host: 'string',
  client_ip: 'addr',
  client_port: 'port',
  'request.method': 'string',
  'request.uri': 'string',
  'request.http_version': 'string',
  'request.size': 'count',
  'request.headers.referer': 'string',
  'request.headers.user-agent': 'string',
  'response.status': 'count',
  'response.size': 'count',
  'upstream.addr': 'string',
  'upstream.status': 'count',
  'latencies.request': 'double',
  'latencies.proxy': 'double',
  'latencies.waf': 'double',
  'waf.mode': 'string',
  'waf.action': 'string',
  'waf.attacks': 'count',
  worker: 'count',
  node: 'string'
}
