import t from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { trafficSeries } from '../../bench/crs-traffic.js'
import { fill, templateOf } from '../../bench/request-series.js'
import { httpRequestOf, trafficRequests } from '../../bench/traffic-http.js'
import { chooseLoad, wrkAvailable } from '../../bench/load.js'

/**
 * The load sends crs-traffic.ts's series as they are: request n of a kind is the kind's
 * request n, path and body byte for byte, so that the gateway's result cache sees traffic that
 * varies as crs-traffic.ts varies it, not one request over and over.
 */

t.test('every kind of the mix is a series, and its template is the series', async t => {
  const byName = new Map(trafficSeries())
  for (const r of trafficRequests()) {
    const nth = byName.get(r.name)
    if (nth === undefined) throw new Error(r.name)
    const series = r.request.series
    t.ok(series, `${r.name} has a series`)
    if (series === undefined) continue
    for (const n of [0, 2, 99, 4321, 7_654_321]) {
      const want = httpRequestOf(nth(n))
      t.equal(fill(series.path, n), want.path, `${r.name} ${n}: the path`)
      if (want.body !== undefined) t.ok(series.body !== undefined && fill(series.body, n) === want.body, `${r.name} ${n}: the body`)
    }
  }
})

t.test('templateOf finds counting numbers in base 10 and 16, and refuses anything else', async t => {
  t.same(templateOf(n => `/a/${7 + n}?t=${(0xfe + n).toString(16).padStart(4, '0')}`), ['/a/', { base: 10, offset: 7, width: 0 }, '?t=', { base: 16, offset: 0xfe, width: 4 }])
  t.equal(templateOf(n => `/a/${n * 2}`), undefined, 'a number that does not count up by one')
  t.equal(templateOf(n => `/a/${'x'.repeat(n % 3)}`), undefined, 'text that changes')
})

t.test('wrk sends request n of the series as its nth request', { skip: wrkAvailable() ? false : 'wrk is not installed (apt-get install wrk)' }, async t => {
  const seen: Array<{ path: string, body: string, length: number }> = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('latin1')
      seen.push({ path: req.url ?? '', body, length: Number(req.headers['content-length']) })
      res.end('ok')
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const port = (server.address() as AddressInfo).port
  const form = trafficRequests().find(r => r.name === 'form POST 4 KB')?.request
  if (form?.series === undefined) throw new Error('no form series')
  const run = await chooseLoad().saturate(port, form, 1, 1)
  t.ok(run.total > 10, `${run.total} requests`)
  // One connection: in order, from the start of the series (the first run of this process;
  // wrk asks its request() hook once before it sends, so the first sent may be request 1).
  const nth = new Map(trafficSeries()).get('form POST 4 KB') as (n: number) => Parameters<typeof httpRequestOf>[0]
  const first = [0, 1, 2].find(k => httpRequestOf(nth(k)).body === seen[0].body)
  t.not(first, undefined, 'the first request sent is one of the first of the series')
  const k = first ?? 0
  for (const i of [0, 1, 2, Math.min(run.total, seen.length) - 1]) {
    const want = httpRequestOf(nth(k + i))
    t.same(seen[i], { path: want.path, body: want.body, length: Buffer.byteLength(want.body ?? '', 'latin1') }, `request ${i}`)
  }
  t.equal(new Set(seen.map(s => s.body)).size, seen.length, 'no body sent twice')
  // The next run starts where this one could not reach.
  seen.length = 0
  await chooseLoad().saturate(port, form, 1, 1)
  t.same(seen[0].body, httpRequestOf(nth(1_000_000 + k)).body, 'a second run starts a million further on')
})
