import { nsPer } from './harness.js'
import { againstBareAndPino } from './hello-world.js'
import { accessJson, buildAccessRecord } from '../lib/records/access-record.js'
import { jsonLine } from '../lib/log/writers/json.js'
import { compileFormat, COMBINED } from '../lib/access/format.js'
import { ContextFactory } from '../lib/lifecycle/context.js'
import type { RecordSource } from '../lib/log/types.js'

/**
 * Hello world with the access log (JSON, and nginx `combined`) writing to a loopback TCP
 * collector, side by side with bare Fastify and with Fastify's own pino request logging
 * (`logger: true`, to /dev/null). Then the cost of one record, in process: building the object and
 * JSON.stringify against the direct serializer, and a combined line.
 */

function sampleSource (): RecordSource {
  const ctx = new ContextFactory().createFor('shop.example', undefined)
  ctx.bytesIn = 120
  ctx.bytesOut = 230
  return {
    req: {
      method: 'GET',
      url: '/p?q=1',
      httpVersion: '1.1',
      headers: { host: 'shop.example', 'user-agent': 'autocannon', accept: '*/*', 'accept-encoding': 'gzip', connection: 'keep-alive' },
      socket: { remoteAddress: '127.0.0.1', remotePort: 50000 }
    },
    res: { statusCode: 200, headersSent: true, _header: 'HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: 17\r\nDate: Sat, 22 Nov 2025 00:00:00 GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=72\r\n\r\n' } as never,
    ctx,
    status: 200,
    endedAt: Date.now(),
    requestMs: 0.8,
    clientIp: '127.0.0.1',
    clientPort: 50000,
    redact: new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']),
    connection: 1,
    connectionRequests: 1,
    pipelined: false
  }
}

export default async function (): Promise<void> {
  await againstBareAndPino(url => [
    { name: 'access log json -> tcp collector', module: 'servers/access.js', args: { format: 'json', collector: url } },
    { name: 'access log combined -> tcp collector', module: 'servers/access.js', args: { format: 'combined', collector: url } }
  ])

  const src = sampleSource()
  const combined = compileFormat(COMBINED)
  const n = 200_000
  process.stdout.write('\none access record, in process (ns per line)\n')
  process.stdout.write(`  object + JSON.stringify          ${nsPer(n, () => jsonLine(buildAccessRecord(src, 0, 'edge-1'))).toFixed(0).padStart(7)} ns\n`)
  process.stdout.write(`  direct serializer (the hot path) ${nsPer(n, () => accessJson(src, 0, 'edge-1')).toFixed(0).padStart(7)} ns\n`)
  process.stdout.write(`  nginx combined                   ${nsPer(n, () => combined.render(src)).toFixed(0).padStart(7)} ns\n`)
}
