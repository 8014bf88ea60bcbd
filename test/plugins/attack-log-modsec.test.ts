import t from 'tap'
import Fastify from 'fastify'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { wafSocket } from '../../plugins/socket.js'
import { wafRules } from '../../plugins/rules.js'
import { wafAttackLog } from '../../plugins/attack-log.js'
import { wafServerOptions } from '../../plugins/core.js'
import type { ModsecAuditRecord } from '../../lib/rules/modsec-audit.js'
import { modsecurityMissing, startNginxModsecurity } from '../helpers/nginx-modsecurity.js'
import { buildRequest, rawRequest } from '../helpers/raw-http.js'

/**
 * The modsec-json attack-log format against what Debian's libmodsecurity3 writes behind nginx for
 * the same requests, with the same rules (SecRuleEngine DetectionOnly and Debian's CRS 3.3):
 * every field of the record, by name, type and, where the two engines mean the same thing,
 * value. The differences docs/crs.md lists are the only ones allowed here.
 */

const SETUP = '/etc/modsecurity/crs/crs-setup.conf'
const CRS = '/usr/share/modsecurity-crs/rules'
const RULES = `SecRuleEngine DetectionOnly\nSecRequestBodyAccess On\nInclude ${SETUP}\nInclude ${CRS}/*.conf\n`
const REQUESTS: Array<[string, string]> = [
  ['GET', "/products?id=1'%20UNION%20SELECT%20password%20FROM%20users--"],
  ['GET', '/search?q=%3Cscript%3Ealert(1)%3C/script%3E'],
  ['GET', '/files?name=../../../../etc/passwd']
]
const HEADERS: Array<[string, string]> = [['Host', 'localhost'], ['User-Agent', 'Mozilla/5.0 (X11; Linux x86_64)'], ['Accept', 'text/html']]

/** The shape of a JSON value: keys (sorted) with the shapes of their values; arrays by their first element. */
function shape (v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? [] : [shape(v[0])]
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map(k => [k, shape((v as Record<string, unknown>)[k])]))
  return typeof v
}

const missing = modsecurityMissing() ?? (!existsSync(SETUP) || !existsSync(CRS) ? `Debian's CRS is not installed (${SETUP}, ${CRS})` : undefined)
if (missing !== undefined) {
  t.test('modsec-json against libmodsecurity3', async t => {
    if (process.env.CI !== undefined) t.fail(missing)
    else t.plan(0, missing)
  })
} else {
  t.test('modsec-json against libmodsecurity3: the same record, field by field', async t => {
    const nginx = await startNginxModsecurity(RULES)
    t.teardown(() => nginx.stop())
    const dir = mkdtempSync(join(tmpdir(), 'waf-modsec-json-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(join(dir, 'modsec.conf'), RULES)
    // Debian's CRS 3.3 loads here: more than Fastify's default 10 s to start on a loaded CI machine is possible.
    const app = Fastify({ ...wafServerOptions(), pluginTimeout: 120_000 })
    await app.register(wafSocket, { channels: { attack: `file://${join(dir, 'attack.log')}` } })
    await app.register(wafRules, { rules: join(dir, 'modsec.conf'), defaultRules: false })
    await app.register(wafAttackLog, { format: 'modsec-json', redactHeaders: [] })
    app.get('/*', async (_req, reply) => reply.type('text/plain').send('ok\n'))
    await app.listen({ host: '127.0.0.1', port: 0 })
    t.teardown(() => app.close())
    const port = (app.server.address() as { port: number }).port

    for (const [method, target] of REQUESTS) {
      const bytes = buildRequest(method, target, [...HEADERS, ['Connection', 'close']])
      t.match((await rawRequest(nginx.port, bytes)).response, /^HTTP\/1\.1 200 /, `nginx: ${target} passes (DetectionOnly)`)
      t.match((await rawRequest(port, bytes)).response, /^HTTP\/1\.1 200 /, `this suite: ${target} passes`)
    }
    const theirs = await nginx.waitForRecords(REQUESTS.length) as ModsecAuditRecord[]
    await app.close()
    const ours = readFileSync(join(dir, 'attack.log'), 'utf8').trim().split('\n').map(l => JSON.parse(l) as ModsecAuditRecord)
    t.equal(ours.length, REQUESTS.length, 'one record per request with matches')

    for (let i = 0; i < REQUESTS.length; i++) {
      const a = ours.find(r => r.transaction.request.uri === REQUESTS[i]![1])!.transaction
      const b = theirs.find(r => r.transaction.request.uri === REQUESTS[i]![1])!.transaction
      const where = REQUESTS[i]![1]
      // Same fields, same types, everywhere but the parts ModSecurity alone writes (the response
      // body, part E; the request body, part C, for a GET: absent in both).
      // Header names are each server's own (nginx adds ETag, Last-Modified …): compared as text maps.
      const { body: _theirBody, ...theirResponse } = b.response as typeof b.response & { body?: string }
      const norm = (x: typeof a, response: object): unknown => ({
        ...x,
        response: { ...response, headers: {} },
        messages: x.messages.slice(0, 1).map(m => ({ ...m, details: { ...m.details, tags: ['tag'] } }))
      })
      t.same(shape(norm(a, a.response)), shape(norm(b, theirResponse)), `${where}: the same fields and types`)
      t.ok(Object.values(a.response.headers).every(v => typeof v === 'string') && Object.keys(a.response.headers).some(k => k.toLowerCase() === 'content-type'), `${where}: response headers as sent`)
      t.same([a.client_ip, a.host_ip, a.request.method, a.request.http_version, a.request.uri, a.response.http_code, a.producer.secrules_engine],
        [b.client_ip, b.host_ip, b.request.method, b.request.http_version, b.request.uri, b.response.http_code, b.producer.secrules_engine], `${where}: the same values`)
      t.same(a.request.headers, b.request.headers, `${where}: request headers by their names as sent`)
      t.match(a.time_stamp, /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$/, 'time_stamp in ModSecurity\'s format')
      t.same(a.producer.components, b.producer.components.map(c => c.replace(/"$/, '')), 'components: SecComponentSignature (libmodsecurity keeps a stray quote)')

      // Messages: every rule ModSecurity logged that runs here is logged here, with the same facts.
      const mine = new Map(a.messages.map(m => [m.details.ruleId, m]))
      const unsupported = new Set((app.wafRules.seclang?.unsupported ?? []).map(u => u.id))
      for (const m of b.messages) {
        const d = m.details
        if (unsupported.has(d.ruleId)) continue
        const o = mine.get(d.ruleId)
        if (o === undefined) {
          t.fail(`${where}: rule ${d.ruleId} (${m.message}) logged by ModSecurity, not here`)
          continue
        }
        t.same([o.message, o.details.file, o.details.lineNumber, o.details.severity, o.details.ver, o.details.rev, o.details.maturity, o.details.accuracy],
          [m.message, d.file, d.lineNumber, d.severity, d.ver, d.rev, d.maturity, d.accuracy], `${where}: rule ${d.ruleId}: message, file, line, severity, ver, rev, maturity, accuracy`)
        // libmodsecurity 3.0.9 writes no tags for a rule whose operator is libinjection's.
        if (d.tags.length > 0) t.same(o.details.tags, d.tags, `${where}: rule ${d.ruleId}: tags`)
        // The same logdata where both engines matched the same variable first (libmodsecurity
        // walks a rule's targets in its own order: 930110 meets REQUEST_URI before ARGS there).
        const within = (data: string): string | undefined => /found within ([^:]+:?[^:]*):/.exec(data)?.[1]
        if (within(o.details.data) === within(d.data)) t.equal(o.details.data, d.data, `${where}: rule ${d.ruleId}: data (logdata, macros expanded)`)
        else t.comment(`${where}: rule ${d.ruleId}: first matched ${within(o.details.data) ?? '?'} here, ${within(d.data) ?? '?'} in libmodsecurity`)
        t.match(o.details.match, /^Matched "Operator `\w+' with parameter `/.test(d.match) ? /^Matched "Operator `\w+' with parameter `.*' against variable `[^']+' \(Value: `/ : /./, `${where}: rule ${d.ruleId}: match in ModSecurity's words`)
      }
    }
  })
}
