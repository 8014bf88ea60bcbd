import http from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * The demo upstream that `npm start` runs when no upstream is configured, so that a newcomer can
 * curl the gateway at once. Plain node:http: it must never be the bottleneck of a benchmark.
 *
 *   GET /status/404    answers with that status (for the u4/u5 counters)
 *   GET /slow?ms=500   answers after a delay, at most 10 s (for graceful-shutdown checks)
 *   anything else      a small JSON echo: method, url, the request id the gateway sent
 */
export function createDemoUpstream (): http.Server {
  return http.createServer((req, res) => {
    let size = 0
    req.on('data', (chunk: Buffer) => { size += chunk.length })
    req.on('end', () => answer(req, res, size))
  })
}

const STATUS_PATH = /^\/status\/([1-5]\d\d)(?:[/?]|$)/
const SLOW_PATH = /^\/slow(?:\?ms=(\d{1,5}))?/

function answer (req: http.IncomingMessage, res: http.ServerResponse, bodySize: number): void {
  const url = req.url ?? '/'
  const status = STATUS_PATH.exec(url)
  if (status !== null) {
    const code = Number(status[1])
    res.writeHead(code, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ status: code }))
    return
  }
  const slow = SLOW_PATH.exec(url)
  const body = JSON.stringify({
    upstream: 'fastify-waflog demo',
    method: req.method,
    url,
    requestId: req.headers['x-request-id'] ?? null,
    bodyBytes: bodySize
  })
  const send = (): void => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  }
  if (slow !== null) setTimeout(send, Math.min(Number(slow[1] ?? 1000), 10_000))
  else send()
}

/** Starts the demo upstream on a loopback port; resolves its URL. */
export async function startDemoUpstream (port = 0): Promise<{ server: http.Server, url: string }> {
  const server = createDemoUpstream()
  server.keepAliveTimeout = 65_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  const { port: bound } = server.address() as AddressInfo
  return { server, url: `http://127.0.0.1:${bound}` }
}
