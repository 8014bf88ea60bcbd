import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import { ContextFactory } from '../../../lib/lifecycle/context.js'
import type { WafContext } from '../../../lib/lifecycle/context.js'
import type { RecordSource, SourceRequest } from '../../../lib/log/types.js'

/** A response stand-in with the header block Node would have written. */
export function fakeResponse (statusCode: number, block: string | null): ServerResponse {
  return { statusCode, headersSent: block !== null, _header: block, getHeader: () => undefined } as unknown as ServerResponse
}

export interface FakeSourceInput {
  method?: string
  url?: string
  httpVersion?: string
  headers?: IncomingHttpHeaders
  status?: number
  responseBlock?: string | null
  ctx?: Partial<WafContext>
  redact?: string[]
  clientIp?: string
  requestMs?: number
  endedAt?: number
}

/** A record source built by hand, for tests of variables, formats and records. */
export function fakeSource (input: FakeSourceInput = {}): RecordSource {
  const req: SourceRequest = {
    method: input.method ?? 'GET',
    url: input.url ?? '/p?q=1',
    httpVersion: input.httpVersion ?? '1.1',
    headers: input.headers ?? { host: 'shop.example', 'user-agent': 'curl/8' },
    socket: { remoteAddress: '203.0.113.7', remotePort: 51234, localAddress: '127.0.0.1', localPort: 8080 }
  }
  const ctx: WafContext = { ...new ContextFactory().createFor('shop.example', undefined, 1763764800123), ...input.ctx }
  ctx.bytesIn = input.ctx?.bytesIn ?? 412
  ctx.bytesOut = input.ctx?.bytesOut ?? 1234
  const block = input.responseBlock === undefined
    ? 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 1100\r\n\r\n'
    : input.responseBlock
  return {
    req,
    res: fakeResponse(input.status ?? 200, block),
    ctx,
    status: input.status ?? 200,
    endedAt: input.endedAt ?? 1763764800456,
    requestMs: input.requestMs ?? 13.2,
    clientIp: input.clientIp ?? '203.0.113.7',
    clientPort: 51234,
    redact: new Set(input.redact ?? ['authorization', 'proxy-authorization', 'cookie', 'set-cookie']),
    connection: 7,
    connectionRequests: 3,
    pipelined: false
  }
}
