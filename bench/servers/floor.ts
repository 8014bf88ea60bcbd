import http from 'node:http'
import { Pool } from 'undici'
import type { Dispatcher } from 'undici'

/**
 * The floor of a Node gateway: `node:http` and undici's `dispatch` to the same upstream, with the
 * gateway's Pool settings (128 connections, no pipelining, 60 s keep-alive), and nothing else: no
 * Fastify, no logging, no forwarded headers, no timeouts of its own. The request's fields go on
 * as Node parsed them, `Connection` and `Keep-Alive` dropped and `Host` the upstream's; the
 * response's raw fields go back in one `writeHead` with a flat array, the same two dropped and
 * `Transfer-Encoding` too (Node frames the body itself). What the gateway costs over this row is
 * Fastify's and the gateway's; what this row costs over nginx is Node's and undici's.
 */

const DROPPED = new Set(['connection', 'keep-alive', 'transfer-encoding'])

/** The response's raw fields (name, value, name, value …) as strings, without the hop-by-hop ones. */
function responseFields (raw: Buffer[]): string[] {
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toString('latin1')
    if (DROPPED.has(name.toLowerCase())) continue
    out.push(name, raw[i + 1].toString('latin1'))
  }
  return out
}

/** Bodies up to this size are sent with their head in one write; a longer one streams from there. */
const HELD_BYTES = 65_536

/**
 * The head is held until the body is complete or passes HELD_BYTES, so that a small answer (all
 * of the benchmark's) leaves in one `end(head + body)`, as the gateway sends a whole body.
 */
class FloorHandler implements Dispatcher.DispatchHandler {
  private status = 0
  private fields: string[] = []
  private held: Buffer[] | null = []
  private heldBytes = 0
  private resume: () => void = () => {}

  constructor (private readonly res: http.ServerResponse) {}

  onConnect (): void {}

  onHeaders (statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true
    this.status = statusCode
    this.resume = resume
    this.fields = responseFields(rawHeaders)
    return true
  }

  onData (chunk: Buffer): boolean {
    const held = this.held
    if (held === null) return this.written(this.res.write(chunk))
    held.push(chunk)
    this.heldBytes += chunk.length
    if (this.heldBytes <= HELD_BYTES) return true
    this.held = null
    this.res.writeHead(this.status, this.fields)
    let ok = true
    for (const c of held) ok = this.res.write(c)
    return this.written(ok)
  }

  /** undici pauses the upstream when a handler returns false, until `resume` is called: at the client's drain. */
  private written (ok: boolean): boolean {
    if (!ok) this.res.once('drain', this.resume)
    return ok
  }

  onComplete (): void {
    const held = this.held
    if (held === null) {
      this.res.end()
      return
    }
    this.res.writeHead(this.status, this.fields)
    this.res.end(held.length === 1 ? held[0] : Buffer.concat(held))
  }

  onError (): void {
    if (this.res.headersSent) this.res.destroy()
    else {
      this.res.writeHead(502, { 'content-type': 'text/plain' })
      this.res.end('upstream failed\n')
    }
  }
}

/** What bench/child.ts needs of a server: listen, its address, close. */
export interface FloorServer {
  server: http.Server
  listen: (opts: { port: number, host: string }) => Promise<void>
  close: () => Promise<void>
}

export async function build (args: { upstream: string }): Promise<FloorServer> {
  const origin = new URL(args.upstream).origin
  const host = new URL(args.upstream).host
  const pool = new Pool(origin, { connections: 128, pipelining: 1, keepAliveTimeout: 60_000 })
  const server = http.createServer((req, res) => {
    const headers: Record<string, string | string[]> = {}
    const h = req.headers
    for (const name in h) {
      const v = h[name]
      if (v !== undefined && !DROPPED.has(name)) headers[name] = v
    }
    headers.host = host
    const hasBody = h['content-length'] !== undefined || h['transfer-encoding'] !== undefined
    pool.dispatch({ origin, method: req.method as Dispatcher.HttpMethod, path: req.url ?? '/', headers, body: hasBody ? req : null }, new FloorHandler(res))
  })
  return {
    server,
    listen: async opts => { await new Promise<void>(resolve => server.listen(opts.port, opts.host, resolve)) },
    close: async () => {
      server.closeAllConnections()
      await new Promise(resolve => server.close(resolve))
      await pool.destroy()
    }
  }
}
