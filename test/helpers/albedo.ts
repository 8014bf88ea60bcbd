import { createServer } from 'node:http'
import type { Server } from 'node:http'

/**
 * The CRS test backend's reflect endpoint, as go-ftw's albedo answers it: `POST /reflect` with a
 * JSON body `{ status?, headers?, body?, encodedBody? }` (encodedBody in base64) is answered with
 * that status (200 by default), those headers and that body; a Content-Type the spec does not
 * give is sniffed from the body as Go's net/http does (text/html for markup, text/xml for
 * `<?xml`, application/octet-stream for binary bytes, else text/plain), with `; charset=utf-8`
 * for text. A body that is not such JSON is answered 400, as albedo does.
 */
export interface Reflection {
  status: number
  headers: Record<string, string>
  body: Buffer
}

const HTML = ['<!doctype html', '<html', '<head', '<script', '<iframe', '<h1', '<div', '<font', '<table', '<a', '<style', '<title', '<b', '<body', '<br', '<p', '<!--']

/** Go's http.DetectContentType for the cases a text backend meets. */
export function sniffContentType (body: Buffer): string {
  let i = 0
  while (i < body.length && (body[i] === 0x20 || body[i] === 0x09 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x0c)) i++
  const head = body.subarray(i, i + 32).toString('latin1').toLowerCase()
  for (const sig of HTML) {
    const next = head.charCodeAt(sig.length)
    if (head.startsWith(sig) && (next === 0x20 || next === 0x3e)) return 'text/html; charset=utf-8'
  }
  if (head.startsWith('<?xml')) return 'text/xml; charset=utf-8'
  for (const b of body.subarray(0, 512)) {
    if (b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f)) return 'application/octet-stream'
  }
  return 'text/plain; charset=utf-8'
}

/** The answer to a reflect request body, or undefined when it is not a reflection spec (400). */
export function reflect (requestBody: Buffer | string): Reflection | undefined {
  let spec: unknown
  try {
    spec = JSON.parse(typeof requestBody === 'string' ? requestBody : requestBody.toString('utf8'))
  } catch {
    return undefined
  }
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) return undefined
  const o = spec as { status?: unknown, headers?: unknown, body?: unknown, encodedBody?: unknown }
  const status = typeof o.status === 'number' && o.status >= 100 && o.status <= 999 ? o.status : 200
  const headers: Record<string, string> = {}
  if (o.headers !== null && typeof o.headers === 'object') {
    for (const [k, v] of Object.entries(o.headers as Record<string, unknown>)) if (typeof v === 'string') headers[k] = v
  }
  const body = typeof o.encodedBody === 'string' && o.encodedBody.length > 0
    ? Buffer.from(o.encodedBody, 'base64')
    : Buffer.from(typeof o.body === 'string' ? o.body : '', 'utf8')
  if (!Object.keys(headers).some(k => k.toLowerCase() === 'content-type') && body.length > 0) headers['Content-Type'] = sniffContentType(body)
  return { status, headers, body }
}

/**
 * A standalone albedo on loopback, for the gateway's CRS run: `/reflect` reflects, every other
 * request is answered 200 with a short text body, as albedo's default handler does.
 */
export async function startAlbedo (): Promise<{ server: Server, port: number, close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]
      if (path === '/reflect' && req.method === 'POST') {
        const r = reflect(Buffer.concat(chunks))
        if (r === undefined) {
          res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('Invalid JSON in request body')
          return
        }
        res.writeHead(r.status, r.headers).end(r.body)
        return
      }
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('ok')
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return { server, port, close: () => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }) }
}
