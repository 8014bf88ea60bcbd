import http from 'node:http'
import https from 'node:https'

/**
 * Continuous, bounded load on the gateway: `concurrency` loops, each sending one request after
 * the other over keep-alive connections, until `stop()` or `max` requests or `maxMs`. Every
 * answer is recorded: a request fails when it errors or gets another status than `expect`.
 */

export interface LoadOptions {
  port: number
  host?: string
  concurrency?: number
  max?: number
  maxMs?: number
  /** The path of request `i` (default `/load/<i>`). */
  path?: (i: number) => string
  expect?: number
  /** HTTPS, trusting this CA (PEM); the SNI name is `localhost`. */
  tls?: { ca: string }
}

export interface LoadFailure { i: number, path: string, status?: number, error?: string, body?: string, /** ms since the load started. */ at: number }

export interface LoadResult {
  sent: number
  ok: number
  failures: LoadFailure[]
  /** The x-request-id of every answered request. */
  ids: string[]
}

export interface Load {
  /** Requests answered so far. */
  readonly answered: number
  stop(): Promise<LoadResult>
}

export function startLoad (opts: LoadOptions): Load {
  const agentOpts = { keepAlive: true, maxSockets: opts.concurrency ?? 4 }
  const agent = opts.tls === undefined ? new http.Agent(agentOpts) : new https.Agent({ ...agentOpts, ca: opts.tls.ca, servername: 'localhost' })
  const client = opts.tls === undefined ? http : https
  const max = opts.max ?? 20_000
  const deadline = Date.now() + (opts.maxMs ?? 60_000)
  const result: LoadResult = { sent: 0, ok: 0, failures: [], ids: [] }
  let stopped = false
  let answered = 0
  const started = Date.now()
  const one = (i: number): Promise<void> => new Promise(resolve => {
    const path = (opts.path ?? (n => `/load/${n}`))(i)
    const req = client.request({ host: '127.0.0.1', port: opts.port, path, agent, headers: { host: opts.host ?? 'shop.example' } }, res => {
      let body = ''
      res.setEncoding('utf8').on('data', (d: string) => { body += d })
      res.on('end', () => {
        answered++
        const id = res.headers['x-request-id']
        if (typeof id === 'string') result.ids.push(id)
        if (res.statusCode === (opts.expect ?? 200)) result.ok++
        else result.failures.push({ i, path, status: res.statusCode, body: body.slice(0, 200), at: Date.now() - started })
        resolve()
      })
    })
    req.setTimeout(15_000, () => req.destroy(new Error('timed out')))
    req.on('error', err => {
      result.failures.push({ i, path, error: err.message, at: Date.now() - started })
      resolve()
    })
    req.end()
  })
  const loop = async (): Promise<void> => {
    while (!stopped && result.sent < max && Date.now() < deadline) {
      const i = result.sent++
      await one(i)
    }
  }
  const loops = Array.from({ length: opts.concurrency ?? 4 }, loop)
  return {
    get answered () { return answered },
    async stop () {
      stopped = true
      await Promise.all(loops)
      agent.destroy()
      return result
    }
  }
}
