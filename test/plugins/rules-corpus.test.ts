import t from 'tap'
import Fastify from 'fastify'
import { request as httpRequest, Agent } from 'node:http'
import { wafSocket } from '../../plugins/socket.js'
import { wafRules } from '../../plugins/rules.js'
import { CORPUS, corpusDir, encodeValue, payloads, payloadsPresent } from '../lib/rules/corpus.js'

/**
 * The default rules' quality over real HTTP, on a sample of the corpus (every Nth payload; the
 * full corpus runs through the engine in test/lib/rules/corpus.test.ts): each payload as a query
 * value and as a urlencoded body value, detect mode, the verdict read from request.waf.
 */
const SAMPLE: Record<string, number> = { 'sqli.txt': 300, 'xss.txt': 200, 'benign-text.txt': 300, 'benign.txt': 290 }

if (!payloadsPresent()) {
  t.plan(0, `no payload corpus at ${corpusDir()} (set WAF_CORPUS): quality over HTTP not measured`)
} else {
  const app = Fastify()
  await app.register(wafSocket, { channels: {} })
  await app.register(wafRules, { mode: 'detect' })
  const verdicts = new Map<string, boolean>()
  app.addHook('onResponse', async request => {
    const id = request.headers['x-case']
    if (typeof id === 'string' && request.waf !== null) verdicts.set(id, request.waf.attacks.length > 0)
  })
  app.get('/search', async () => 'ok')
  app.post('/search', async () => 'ok')
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as { port: number }).port
  const agent = new Agent({ keepAlive: true, maxSockets: 8 })
  t.teardown(async () => {
    agent.destroy()
    await app.close()
  })

  const send = async (id: string, method: string, path: string, body?: string): Promise<void> => {
    await new Promise<void>((resolve, reject) => {
      const headers: Record<string, string> = { 'x-case': id, 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', accept: 'text/html' }
      if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded'
      const req = httpRequest({ port, host: '127.0.0.1', method, path, headers, agent }, res => {
        res.resume()
        res.on('end', resolve)
      })
      req.on('error', reject)
      req.end(body)
    })
  }

  for (const file of CORPUS) {
    t.test(`${file.name} over HTTP`, async t => {
      const all = payloads(file.name)
      const step = Math.max(1, Math.floor(all.length / SAMPLE[file.name]))
      const sample = all.filter((_, i) => i % step === 0)
      const jobs: Array<() => Promise<void>> = []
      sample.forEach((line, i) => {
        const v = encodeValue(line)
        jobs.push(async () => await send(`${file.name}:q:${i}`, 'GET', `/search?q=${v}&page=1`))
        jobs.push(async () => await send(`${file.name}:b:${i}`, 'POST', '/search', `q=${v}&page=1`))
      })
      // Eight at a time, bounded by the sample's size.
      for (let k = 0; k < jobs.length; k += 8) await Promise.all(jobs.slice(k, k + 8).map(async j => await j()))
      let q = 0
      let b = 0
      let seen = 0
      for (let i = 0; i < sample.length; i++) {
        if (verdicts.has(`${file.name}:q:${i}`)) seen++
        if (verdicts.has(`${file.name}:b:${i}`)) seen++
        if (verdicts.get(`${file.name}:q:${i}`) === true) q++
        if (verdicts.get(`${file.name}:b:${i}`) === true) b++
      }
      t.equal(seen, 2 * sample.length, 'every request reached the app and was checked')
      const qr = q / sample.length
      const br = b / sample.length
      t.comment(`${file.name}: ${sample.length} payloads over HTTP, ${file.attack ? 'detected' : 'flagged'} ${(100 * qr).toFixed(1)}% (query), ${(100 * br).toFixed(1)}% (body)`)
      if (file.attack) {
        t.ok(qr >= file.bar && br >= file.bar, `>= ${100 * file.bar}%`)
      } else {
        t.ok(qr <= file.bar && br <= file.bar, `<= ${100 * file.bar}%`)
      }
    })
  }
}
