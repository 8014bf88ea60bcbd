import t from 'tap'
import Fastify from 'fastify'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { wafSocket } from '../../plugins/socket.js'
import { wafRules } from '../../plugins/rules.js'
import { wafAttackLog } from '../../plugins/attack-log.js'
import type { AttackRecord } from '../../plugins/attack-log.js'
import { reflect, startAlbedo } from '../helpers/albedo.js'
import { nginxMissing, startNginx } from '../helpers/nginx.js'

/**
 * Response inspection against the real peer: nginx with libmodsecurity 3 (Debian's
 * libnginx-mod-http-modsecurity) in front of an albedo, and the rules plugin in an app answering
 * the same reflections, with the same SecLang rules. For each response (a status, headers, a body
 * of an inspected or another type, a match before and past the body limit) the rule ids each
 * logged must be the same.
 */
const MODULE = '/usr/lib/nginx/modules/ngx_http_modsecurity_module.so'
const RULES = `SecRuleEngine DetectionOnly
SecResponseBodyAccess On
SecResponseBodyMimeType text/plain text/html
SecResponseBodyLimit 1024
SecResponseBodyLimitAction ProcessPartial
SecRule RESPONSE_STATUS "@streq 418" "id:1001,phase:3,pass,log,msg:'teapot'"
SecRule RESPONSE_HEADERS:X-Leak "@contains secret" "id:1002,phase:3,pass,log,msg:'leaky header'"
SecRule RESPONSE_HEADERS_NAMES "@streq x-debug" "id:1003,phase:3,pass,log,t:lowercase,msg:'debug header'"
SecRule RESPONSE_CONTENT_TYPE "@beginsWith text/html" "id:1004,phase:3,pass,log,msg:'html'"
SecRule RESPONSE_BODY "@contains ORA-00933" "id:1005,phase:4,pass,log,msg:'oracle error'"
`

/** Reflection specs: what the upstream answers for each case. */
const CASES: Record<string, { status?: number, headers?: Record<string, string>, body?: string }> = {
  teapot: { status: 418, headers: { 'Content-Type': 'text/plain' }, body: 'short and stout' },
  leak: { headers: { 'Content-Type': 'text/plain', 'X-Leak': 'a secret value' }, body: 'ok' },
  debug: { headers: { 'Content-Type': 'text/plain', 'X-Debug': '1' }, body: 'ok' },
  html: { headers: { 'Content-Type': 'text/html; charset=utf-8' }, body: '<p>hello</p>' },
  oracle: { headers: { 'Content-Type': 'text/plain' }, body: 'SQL Error: ORA-00933: SQL command not properly ended' },
  binary: { headers: { 'Content-Type': 'application/octet-stream' }, body: 'ORA-00933 in a type that is not inspected' },
  late: { headers: { 'Content-Type': 'text/plain' }, body: 'x'.repeat(2000) + ' ORA-00933' },
  early: { headers: { 'Content-Type': 'text/plain' }, body: 'ORA-00933 ' + 'x'.repeat(2000) },
  clean: { headers: { 'Content-Type': 'text/plain' }, body: 'nothing to see' }
}

function post (port: number, path: string, body: string): Promise<{ status: number, id: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, res => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, id: res.headers['x-waf-id'] as string | undefined }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

const missing = nginxMissing() ?? (existsSync(MODULE) ? undefined : `${MODULE} is not installed (apt-get install libnginx-mod-http-modsecurity)`)

if (missing !== undefined) {
  if (process.env.CI !== undefined) t.fail(missing)
  else t.plan(0, missing)
} else {
  t.test('the same response rules log the same ids here and in libmodsecurity 3', async t => {
    const dir = mkdtempSync(join(tmpdir(), 'waf-resp-modsec-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const rules = join(dir, 'rules.conf')
    writeFileSync(rules, RULES)
    const albedo = await startAlbedo()
    t.teardown(() => albedo.close())
    const nginx = await startNginx({}, {
      main: [`load_module ${MODULE};`],
      // The connector logs rule matches at info.
      server: ['modsecurity on;', `modsecurity_rules_file ${rules};`, `error_log ${join(dir, 'modsec.log')} info;`],
      location: `proxy_pass http://127.0.0.1:${albedo.port};`
    })
    t.teardown(() => nginx.stop())

    const app = Fastify()
    await app.register(wafSocket, { channels: { attack: `file://${dir}/attack.log` } })
    await app.register(wafRules, { defaultRules: false, rules, mode: 'block' })
    await app.register(wafAttackLog)
    const records = new Map<string, AttackRecord>()
    app.wafLog.onWrite('attack', rec => { if (!('transaction' in rec)) records.set(rec.id, rec) })
    app.addHook('onSend', async (request, reply) => { if (request.waf !== null) void reply.header('x-waf-id', request.waf.id) })
    app.post('/reflect', async (request, reply) => {
      const r = reflect(JSON.stringify(request.body))
      if (r === undefined) return reply.code(400).send('bad')
      return reply.code(r.status).headers(r.headers).send(r.body)
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    t.teardown(async () => { await app.close() })
    const address = app.server.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0

    const ours: Record<string, string[]> = {}
    for (const [name, spec] of Object.entries(CASES)) {
      const body = JSON.stringify(spec)
      const n = await post(nginx.port, `/reflect?case=${name}`, body)
      t.equal(n.status, spec.status ?? 200, `${name}: nginx passes (DetectionOnly)`)
      const o = await post(port, `/reflect?case=${name}`, body)
      t.equal(o.status, spec.status ?? 200, `${name}: the plugin passes (SecRuleEngine DetectionOnly)`)
      for (let i = 0; i < 100 && o.id !== undefined && !records.has(o.id); i++) await new Promise(resolve => setTimeout(resolve, 10))
      ours[name] = (o.id === undefined ? [] : records.get(o.id)?.attacks ?? []).map(a => a.rule_id).filter(id => id.startsWith('100')).sort()
    }
    // ModSecurity writes one error-log line per match, naming the request (`request: "POST /reflect?case=…`).
    await new Promise(resolve => setTimeout(resolve, 200))
    const log = readFileSync(join(dir, 'modsec.log'), 'latin1')
    const theirs: Record<string, string[]> = {}
    for (const name of Object.keys(CASES)) theirs[name] = []
    for (const line of log.split('\n')) {
      const id = /\[id "(\d+)"\]/.exec(line)?.[1]
      const name = /case=([a-z]+)/.exec(line)?.[1]
      if (id !== undefined && name !== undefined && theirs[name] !== undefined && !theirs[name].includes(id)) theirs[name].push(id)
    }
    for (const k of Object.keys(theirs)) theirs[k].sort()
    t.same(ours, theirs, 'per response, the ids logged are those libmodsecurity 3 logs')
    t.same(theirs.teapot, ['1001'], 'the reference matched where it should (the test can fail)')
  })
}
