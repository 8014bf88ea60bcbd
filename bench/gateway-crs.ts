import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { rpsRatio, startScenario, throughput } from './harness.js'
import type { Results, Scenario } from './harness.js'
import { writeCrsConf } from './crs-conf.js'
import type { CrsConf } from './crs-conf.js'
import { checkSide, modsecurityRuleIds, problems } from './crs-check.js'
import type { Checked } from './crs-check.js'
import { nginxAvailable, startNginxProxy } from './nginx.js'
import { trafficRequests } from './traffic-http.js'
import type { TrafficRequest } from './traffic-http.js'

/**
 * The gateway with the CRS against nginx + ModSecurity (libmodsecurity3) + the CRS, request by
 * request of the traffic mix (crs-traffic.ts): the same SecLang file on both sides
 * (crs-conf.ts: Debian's recommended ModSecurity settings, SecRuleEngine On, the CRS at PL1),
 * the same upstream, both blocking, both logging as they do by default (the gateway: its four
 * logs to the collector; nginx: its access log, ModSecurity's messages in the error log and its
 * audit log for the refused request). Saturated req/s and server CPU µs per request of each,
 * and their ratio, after a self-check that both sides refuse the attack and pass the rest.
 */
const PARANOIA = 1
/** DESIGN.md's budget: the gateway with the CRS at least 3x the req/s of nginx + ModSecurity + the CRS. */
const BUDGET_RATIO = 3
/**
 * Both sides answer one request at a time (one process, one worker): a few connections keep
 * them busy. With 50, nginx + ModSecurity reads 50 bodies of a form post, checks them all
 * (tens of ms each) before it reads an upstream answer, and a run of 2 s ends before the first
 * response.
 */
const CONNECTIONS = 8

export function gatewaySide (label: string): string { return `gateway (waf suite) + ${label}` }
export function nginxSide (label: string): string { return `nginx + ModSecurity + ${label}` }

function gatewayScenario (conf: CrsConf, upstream: string, collector: string, t: TrafficRequest, attackChannel?: string): Scenario {
  return {
    name: `${gatewaySide(conf.label)}, ${t.name}`,
    module: 'servers/gateway.js',
    args: { upstream, collector, waf: true, ruleFiles: [conf.file], ...(attackChannel === undefined ? {} : { attackChannel }) },
    ...t.request,
    denied: t.attack,
    saturatedOnly: true
  }
}

function nginxScenario (conf: CrsConf, upstream: string, t: TrafficRequest): Scenario {
  return {
    name: `${nginxSide(conf.label)}, ${t.name}`,
    external: async () => await startNginxProxy(upstream, { modsecurityRules: conf.file }),
    ...t.request,
    denied: t.attack,
    saturatedOnly: true
  }
}

export interface SelfCheck {
  gateway: Array<Checked & { rules: string[] }>
  nginx: Array<Checked & { rules: string[] }>
  /** ModSecurity's own count of the rules it loaded (nginx's start-up log). */
  modsecurityRules: number
  problems: string[]
}

/** The gateway's attack records (one JSON line each, by request id): the rule ids each logged. */
function attackRules (file: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  if (!existsSync(file)) return out
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue
    const r = JSON.parse(line) as { id: string, attacks: Array<{ rule_id: string }> }
    out.set(r.id, r.attacks.map(a => a.rule_id))
  }
  return out
}

/** Every request once through each side: statuses, and the rules each logged. */
export async function selfCheck (conf: CrsConf, upstream: string, collector: string, mix: TrafficRequest[], dir: string): Promise<SelfCheck> {
  const nginx = await startNginxProxy(upstream, { modsecurityRules: conf.file, errorLogLevel: 'info' })
  let nginxChecked: Checked[]
  let loaded: number
  try {
    loaded = Number(/rules loaded inline\/local\/remote: \d+\/(\d+)\/\d+/.exec(nginx.startupLog())?.[1] ?? 0)
    nginxChecked = await checkSide(nginx.port, mix, nginx.errorLog)
  } finally {
    await nginx.stop()
  }
  const attackLog = join(dir, 'attack-self-check.log')
  const gw = await startScenario(gatewayScenario(conf, upstream, collector, mix[0], pathToFileURL(attackLog).href))
  let gwChecked: Checked[]
  try {
    gwChecked = await checkSide(gw.port, mix)
  } finally {
    await gw.stop() // flushes the attack channel
  }
  const byId = attackRules(attackLog)
  const gateway = gwChecked.map(c => ({ ...c, rules: c.answer.id === undefined ? [] : byId.get(c.answer.id) ?? [] }))
  const nginxRows = nginxChecked.map(c => ({ ...c, rules: modsecurityRuleIds(c.log) }))
  const found = [...problems('gateway', gateway), ...problems('nginx + ModSecurity', nginxRows)]
  if (loaded === 0) found.push('nginx + ModSecurity: nginx does not say ModSecurity loaded any rule')
  for (const [side, rows] of [['gateway', gateway], ['nginx + ModSecurity', nginxRows]] as const) {
    const attack = rows.find((_, i) => mix[i].attack)
    if (attack !== undefined && !attack.rules.includes('949110')) found.push(`${side}: the attack was refused but not by the CRS's blocking evaluation (949110 not logged: ${attack.rules.join(',') || 'nothing'})`)
  }
  return { gateway, nginx: nginxRows, modsecurityRules: loaded, problems: found }
}

function printSelfCheck (check: SelfCheck): void {
  process.stdout.write(`  self-check (each request once; ModSecurity says it loaded ${check.modsecurityRules} rules): status and rules logged, gateway | nginx + ModSecurity\n`)
  check.gateway.forEach((g, i) => {
    const n = check.nginx[i]
    process.stdout.write(`    ${g.name.padEnd(16)} ${g.status} ${(g.rules.join(',') || '-').padEnd(40)} | ${n.status} ${n.rules.join(',') || '-'}\n`)
  })
}

function printComparison (conf: CrsConf, results: Results, mix: TrafficRequest[]): void {
  const o = results.options
  const w = (s: string, n: number): string => s.padStart(n)
  process.stdout.write(`\n${conf.label}, both blocking, same SecLang file and upstream: each request of the traffic mix saturated\n`)
  process.stdout.write(`  load: ${results.load.label}\n`)
  process.stdout.write(`  ${o.connections} connections, ${o.durationSec} s, median of ${o.rounds} interleaved round(s); µs: server CPU per request (nginx: master + worker)\n`)
  process.stdout.write(`  ${'request'.padEnd(16)} ${w('gateway req/s', 13)} ${w('nginx+MS req/s', 14)} ${w('x', 6)} ${w('gateway µs', 10)} ${w('nginx+MS µs', 11)} ${w('x', 6)}  budget (≥ ${BUDGET_RATIO}x req/s)\n`)
  for (const t of mix) {
    const g = results.rows.get(`${gatewaySide(conf.label)}, ${t.name}`)
    const n = results.rows.get(`${nginxSide(conf.label)}, ${t.name}`)
    if (g === undefined || n === undefined) continue
    // A side that answered otherwise than the self-check said (errors, a 2xx to the attack) measured something else.
    const wrong = [g.errors > 0 ? 'gateway' : '', n.errors > 0 ? 'nginx' : ''].filter(s => s !== '')
    const ratio = rpsRatio(results, `${gatewaySide(conf.label)}, ${t.name}`, `${nginxSide(conf.label)}, ${t.name}`)
    const cpu = (n.saturatedMicros ?? Number.NaN) / (g.saturatedMicros ?? Number.NaN)
    const verdict = wrong.length > 0 ? `no ratio: unexpected answers from ${wrong.join(' and ')} (see above)` : ratio >= BUDGET_RATIO ? 'met' : 'NOT MET'
    process.stdout.write(`  ${t.name.padEnd(16)} ${w(g.rps.toFixed(0), 13)} ${w(n.rps.toFixed(0), 14)} ${w(wrong.length > 0 ? '—' : ratio.toFixed(2), 6)} ` +
      `${w((g.saturatedMicros ?? Number.NaN).toFixed(1), 10)} ${w((n.saturatedMicros ?? Number.NaN).toFixed(1), 11)} ${w(wrong.length > 0 ? '—' : cpu.toFixed(2), 6)}  ${verdict}\n`)
  }
}

/**
 * The comparison, for the requests of the mix whose row name `pick` matches (all without it).
 * Measures nothing, and prints the refusal, when a side fails the self-check.
 */
export async function crsComparison (upstream: string, collector: string, pick?: RegExp): Promise<void> {
  if (!nginxAvailable(true)) {
    process.stdout.write('  (the CRS comparison needs nginx with ModSecurity: apt-get install nginx-light libnginx-mod-http-modsecurity)\n')
    return
  }
  const dir = mkdtempSync(join(tmpdir(), 'waf-bench-crs-'))
  try {
    const conf = writeCrsConf(dir, PARANOIA)
    if (conf === undefined) {
      process.stdout.write('  (the CRS comparison needs a CRS: ../shared/corpus/crs or $WAF_CORPUS, or apt-get install modsecurity-crs)\n')
      return
    }
    const mix = trafficRequests().filter(t => pick === undefined || [gatewaySide(conf.label), nginxSide(conf.label)].some(side => pick.test(`${side}, ${t.name}`)))
    if (mix.length === 0) return
    // The self-check needs the attack whatever rows were picked: a side that lets it through runs no rule.
    const checked = mix.some(t => t.attack) ? mix : [...mix, ...trafficRequests().filter(t => t.attack)]
    process.stdout.write(`\n${conf.label}: ${conf.file} on both sides\n`)
    const check = await selfCheck(conf, upstream, collector, checked, dir)
    printSelfCheck(check)
    if (check.problems.length > 0) {
      for (const p of check.problems) process.stdout.write(`  REFUSED, no ratio printed: ${p}\n`)
      process.exitCode = 1
      return
    }
    const scenarios = mix.flatMap(t => [gatewayScenario(conf, upstream, collector, t), nginxScenario(conf, upstream, t)])
    printComparison(conf, await throughput(scenarios, { connections: CONNECTIONS }), mix)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
