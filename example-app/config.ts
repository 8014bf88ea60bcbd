import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parse as parseYaml } from 'yaml'
import { readRulesSection, ruleFiles } from './config-rules.js'
import type { RulesSection, SectionReader } from './config-rules.js'
import { DEFAULT_GRAPHITE_PREFIX, graphitePrefixProblem } from '../lib/heartbeat/graphite.js'
import { NODE_NAME_RULE, defaultNodeName, isNodeName } from '../lib/node-name.js'
import { readAllow, readMetrics } from './config-metrics.js'
import type { MetricsConfig } from './config-metrics.js'
import { EDGE_DOMAIN_KEYS, EDGE_LISTEN_KEYS, EDGE_TOP_KEYS, readDomainEdge, readEdge } from './config-edge.js'
import type { DomainEdgeConfig, EdgeConfig } from './config-edge.js'
import { redactRedisUrl, redisUrlProblem } from '../lib/rate-limit/redis-url.js'
import { DEFAULT_CLIENT_TIMEOUTS } from './timeouts.js'
import type { ClientTimeouts } from './timeouts.js'
import type { RouteToggle } from '../lib/lifecycle/switches.js'
import { PLUGIN_KEYS } from '../lib/lifecycle/context.js'
import type { PluginKey } from '../lib/lifecycle/context.js'
import { ConfigError, Reader, isObj } from './config-reader.js'
import type { Mode, Obj } from './config-reader.js'

/**
 * The gateway's configuration: a YAML file (`WAF_CONFIG`) overridden by `WAF_*` environment
 * variables, with defaults that let `npm start` run with nothing configured. Every value is
 * checked here, and an error names the setting, where it came from and what was expected.
 */

export type { Mode } from './config-reader.js'
export { ConfigError } from './config-reader.js'
export const CHANNEL_NAMES = ['forensic', 'access', 'attack', 'heart'] as const
export type ChannelName = typeof CHANNEL_NAMES[number]

export interface DomainConfig {
  upstream: string | undefined
  mode: Mode | undefined
  rules: boolean | undefined
  /** TLS by SNI, preserveHost, bodyLimit, rateLimit of this domain (config-edge.ts). */
  edge: DomainEdgeConfig
  /** Rule files of this domain only (an engine of its own: see config-rules.ts). */
  ruleFiles: string[] | undefined
}

/** One row of `routes`: the umbrella plugin's route toggle, as the gateway hands it over. */
export type RouteConfig = RouteToggle

export interface GatewayConfig {
  host: string
  port: number
  workers: number
  /** This machine's name in the records and heartbeats (`node`); the host name by default. */
  node: string
  /** The upstream for domains without their own; undefined starts the bundled demo upstream. */
  upstream: string | undefined
  mode: Mode
  domains: Record<string, DomainConfig>
  routes: RouteConfig[]
  /** The waf plugins registered at all (all by default); `routes` switches the registered ones per path. */
  plugins: Record<PluginKey, boolean>
  logDir: string
  channels: Record<ChannelName, string>
  rules: RulesSection
  access: { format: string }
  /** The attack log's format: its own JSON record, or ModSecurity v3's JSON audit record. */
  attack: { format: 'json' | 'modsec-json' }
  heartbeat: { interval: number, format: 'json' | 'graphite', graphitePrefix: string }
  /** CC limiting; with `redis`, the counters live in Redis, shared by every gateway that names it. */
  rateLimit: { max: number, timeWindow: number, redis: string | undefined, redisTimeout: number } | false
  /** TLS toward https upstreams: verified against the system store unless `ca` or `rejectUnauthorized: false` says otherwise. */
  upstreamTls: { ca: string | undefined, rejectUnauthorized: boolean }
  status: { path: string, allow: string[] }
  /** The Prometheus endpoint; undefined: none. */
  metrics: MetricsConfig | undefined
  /** TLS, HTTP/2, health, trustProxy, forwarded headers, bodyLimit, deny (config-edge.ts). */
  edge: EdgeConfig
  /** Client timeouts in ms, as nginx's client_header_timeout and client_body_timeout. */
  timeouts: ClientTimeouts
  /** Where the configuration came from, for the start-up banner. */
  source: string
}

/** `{ [key]: value }`, or nothing when the setting is absent (so the plugin's default holds). */
function optional<K extends string, V> (key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : { [key]: value } as Record<K, V>
}

const TOP_KEYS = ['listen', 'workers', 'node', 'upstream', 'upstreamTls', 'mode', 'domains', 'routes', 'plugins', 'logDir', 'channels', 'rules', 'access', 'attack', 'heartbeat', 'rateLimit', 'status', 'metrics', ...EDGE_TOP_KEYS, 'timeouts'] as const
const CHANNEL_PROTOCOLS = ['tcp:', 'tls:', 'udp:', 'unix:', 'file:', 'stdout:'] as const
const UPSTREAM_PROTOCOLS = ['http:', 'https:'] as const
const ROUTE_KEYS = ['prefix', 'forensic', 'rules', 'access', 'attack', 'heartbeat'] as const

/** Environment variables that override the file, each with the setting it sets. */
export const ENV_SETTINGS: Readonly<Record<string, string>> = {
  WAF_CONFIG: 'the YAML file to read',
  WAF_HOST: 'listen.host',
  WAF_PORT: 'listen.port',
  WAF_WORKERS: 'workers',
  WAF_NODE: 'node',
  WAF_UPSTREAM: 'upstream',
  WAF_MODE: 'mode',
  WAF_LOG_DIR: 'logDir',
  WAF_CHANNEL_FORENSIC: 'channels.forensic',
  WAF_CHANNEL_ACCESS: 'channels.access',
  WAF_CHANNEL_ATTACK: 'channels.attack',
  WAF_CHANNEL_HEART: 'channels.heart',
  WAF_ACCESS_FORMAT: 'access.format',
  WAF_HEARTBEAT_INTERVAL: 'heartbeat.interval',
  WAF_RATE_LIMIT_MAX: 'rateLimit.max (0 turns rate limiting off)',
  WAF_RATE_LIMIT_WINDOW: 'rateLimit.timeWindow',
  WAF_RATE_LIMIT_REDIS: 'rateLimit.redis'
}

/** Environment variables starting with WAF_ that belong to other tools, not to the gateway. */
const FOREIGN_ENV = new Set(['WAF_CORPUS'])

function envInt (env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name]
  if (v === undefined || v === '') return undefined
  if (!/^\d+$/.test(v)) throw new ConfigError(`environment: ${name} must be a whole number (got ${JSON.stringify(v)})`)
  return Number(v)
}

/** Applies WAF_* variables onto the raw YAML object, before validation, so both are checked alike. */
function applyEnv (raw: Obj, env: NodeJS.ProcessEnv): string[] {
  const unknown: string[] = []
  for (const name of Object.keys(env)) {
    if (name.startsWith('WAF_') && ENV_SETTINGS[name] === undefined && !FOREIGN_ENV.has(name)) unknown.push(name)
  }
  const section = (key: string): Obj => {
    const v = raw[key]
    if (isObj(v)) return v
    const fresh: Obj = {}
    raw[key] = fresh
    return fresh
  }
  const set = (name: string, apply: (v: string) => void): void => {
    const v = env[name]
    if (v !== undefined && v !== '') apply(v)
  }
  set('WAF_HOST', v => { section('listen').host = v })
  if (envInt(env, 'WAF_PORT') !== undefined) section('listen').port = envInt(env, 'WAF_PORT')
  if (envInt(env, 'WAF_WORKERS') !== undefined) raw.workers = envInt(env, 'WAF_WORKERS')
  set('WAF_NODE', v => { raw.node = v })
  set('WAF_UPSTREAM', v => { raw.upstream = v })
  set('WAF_MODE', v => { raw.mode = v })
  set('WAF_LOG_DIR', v => { raw.logDir = v })
  for (const ch of CHANNEL_NAMES) set(`WAF_CHANNEL_${ch.toUpperCase()}`, v => { section('channels')[ch] = v })
  set('WAF_ACCESS_FORMAT', v => { section('access').format = v })
  if (envInt(env, 'WAF_HEARTBEAT_INTERVAL') !== undefined) section('heartbeat').interval = envInt(env, 'WAF_HEARTBEAT_INTERVAL')
  const max = envInt(env, 'WAF_RATE_LIMIT_MAX')
  if (max === 0) raw.rateLimit = false
  else if (max !== undefined) section('rateLimit').max = max
  if (envInt(env, 'WAF_RATE_LIMIT_WINDOW') !== undefined && raw.rateLimit !== false) section('rateLimit').timeWindow = envInt(env, 'WAF_RATE_LIMIT_WINDOW')
  if (raw.rateLimit !== false) set('WAF_RATE_LIMIT_REDIS', v => { section('rateLimit').redis = v })
  return unknown
}

export interface LoadedConfig {
  config: GatewayConfig
  /** Warnings for the operator, such as WAF_* variables that set nothing. */
  warnings: string[]
}

/** Loads and validates the configuration; throws ConfigError with a message that names the setting. */
export function loadConfig (env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): LoadedConfig {
  const file = env.WAF_CONFIG
  let raw: Obj = {}
  let where = 'defaults'
  if (file !== undefined && file !== '') {
    const path = resolve(cwd, file)
    where = path
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (err) {
      throw new ConfigError(`WAF_CONFIG: cannot read ${path}: ${(err as Error).message}`)
    }
    let parsed: unknown
    try {
      parsed = parseYaml(text)
    } catch (err) {
      throw new ConfigError(`${path}: not valid YAML: ${(err as Error).message}`)
    }
    if (parsed !== null && parsed !== undefined && !isObj(parsed)) throw new ConfigError(`${path}: the file must hold a mapping of settings`)
    raw = (parsed ?? {}) as Obj
  }
  const warnings = applyEnv(raw, env).map(n => `environment: ${n} is not a gateway setting and was ignored (known: ${Object.keys(ENV_SETTINGS).join(', ')})`)
  const r = new Reader(where)
  r.keys(raw, '', TOP_KEYS)

  const listen = r.obj(raw.listen, 'listen')
  r.keys(listen, 'listen', ['host', 'port', ...EDGE_LISTEN_KEYS])
  const base = where === 'defaults' ? cwd : resolve(where, '..')
  const logDir = resolve(cwd, r.str(raw.logDir, 'logDir') ?? 'logs')

  const domains: Record<string, DomainConfig> = {}
  const rawDomains = r.obj(raw.domains, 'domains')
  for (const [name, v] of Object.entries(rawDomains)) {
    const path = `domains.${name}`
    if (!/^[a-z0-9.-]+$/i.test(name) && !/^\[[0-9a-f:.]+\]$/i.test(name)) r.fail('domains', 'a mapping keyed by host names', name)
    const d = r.obj(v, path)
    r.keys(d, path, ['upstream', 'mode', 'rules', 'ruleFiles', ...EDGE_DOMAIN_KEYS])
    domains[name.toLowerCase()] = {
      upstream: r.url(d.upstream, `${path}.upstream`, UPSTREAM_PROTOCOLS),
      mode: r.mode(d.mode, `${path}.mode`),
      rules: r.bool(d.rules, `${path}.rules`),
      edge: readDomainEdge(r, d, path, base),
      ruleFiles: ruleFiles(r, d.ruleFiles, `${path}.ruleFiles`, base)
    }
  }

  const routes: RouteConfig[] = []
  if (raw.routes !== undefined && raw.routes !== null) {
    const list: unknown = raw.routes
    if (!Array.isArray(list)) return r.fail('routes', 'a list of { prefix, forensic?, rules?, access?, attack?, heartbeat? }', list)
    list.forEach((v: unknown, i: number) => {
      const path = `routes[${i}]`
      const o = r.obj(v, path)
      r.keys(o, path, ROUTE_KEYS)
      const prefix = r.str(o.prefix, `${path}.prefix`)
      if (prefix === undefined || !prefix.startsWith('/')) return r.fail(`${path}.prefix`, 'a path that starts with "/"', o.prefix)
      const row: RouteConfig = { prefix }
      for (const k of ROUTE_KEYS) {
        if (k === 'prefix') continue
        const b = r.bool(o[k], `${path}.${k}`)
        if (b !== undefined) row[k] = b
      }
      routes.push(row)
    })
  }

  const rawPlugins = r.obj(raw.plugins, 'plugins')
  r.keys(rawPlugins, 'plugins', PLUGIN_KEYS)
  const plugins = {} as Record<PluginKey, boolean>
  for (const k of PLUGIN_KEYS) plugins[k] = r.bool(rawPlugins[k], `plugins.${k}`) ?? true

  // A section of a plugin left out would be ignored in silence: refused instead.
  for (const k of PLUGIN_KEYS) {
    if (plugins[k] || k === 'forensic') continue
    if (raw[k] !== undefined && raw[k] !== null) r.fail(`plugins.${k}`, `true (or left out) while the "${k}" section is set`, false)
  }
  if (!plugins.rules) {
    for (const [name, d] of Object.entries(domains)) {
      if (d.rules === true || d.ruleFiles !== undefined) r.fail('plugins.rules', `true (or left out) while "domains.${name}" sets rules`, false)
    }
  }

  const rawChannels = r.obj(raw.channels, 'channels')
  r.keys(rawChannels, 'channels', CHANNEL_NAMES)
  const channels = {} as Record<ChannelName, string>
  for (const ch of CHANNEL_NAMES) {
    const fileName = ch === 'heart' ? 'heartbeat' : ch
    channels[ch] = r.url(rawChannels[ch], `channels.${ch}`, CHANNEL_PROTOCOLS) ?? pathToFileURL(resolve(logDir, `${fileName}.log`)).href
  }

  const rules = readRulesSection(r, raw.rules, where, base, m => { throw new ConfigError(m) })
  const access = r.obj(raw.access, 'access')
  r.keys(access, 'access', ['format'])
  const attack = r.obj(raw.attack, 'attack')
  r.keys(attack, 'attack', ['format'])
  const attackFormat = attack.format ?? 'json'
  if (attackFormat !== 'json' && attackFormat !== 'modsec-json') return r.fail('attack.format', 'json or modsec-json', attackFormat)
  const heartbeat = r.obj(raw.heartbeat, 'heartbeat')
  r.keys(heartbeat, 'heartbeat', ['interval', 'format', 'graphitePrefix'])
  const hbFormat = heartbeat.format ?? 'json'
  if (hbFormat !== 'json' && hbFormat !== 'graphite') return r.fail('heartbeat.format', 'json or graphite', hbFormat)
  const graphitePrefix = r.str(heartbeat.graphitePrefix, 'heartbeat.graphitePrefix') ?? DEFAULT_GRAPHITE_PREFIX
  const prefixProblem = graphitePrefixProblem(graphitePrefix)
  if (prefixProblem !== undefined) r.fail('heartbeat.graphitePrefix', prefixProblem.replace(/^must be /, ''), graphitePrefix)
  const node = r.str(raw.node, 'node') ?? defaultNodeName()
  if (!isNodeName(node)) r.fail('node', NODE_NAME_RULE, node)

  let rateLimit: GatewayConfig['rateLimit']
  if (raw.rateLimit === false) {
    rateLimit = false
  } else {
    const rl = r.obj(raw.rateLimit, 'rateLimit')
    r.keys(rl, 'rateLimit', ['max', 'timeWindow', 'redis', 'redisTimeout'])
    const redis = r.str(rl.redis, 'rateLimit.redis')
    const redisProblem = redis === undefined ? undefined : redisUrlProblem(redis)
    if (redisProblem !== undefined) r.fail('rateLimit.redis', `a Redis URL: it ${redisProblem}`, redactRedisUrl(redis as string))
    rateLimit = {
      max: r.int(rl.max, 'rateLimit.max', 1, 1e9) ?? 1000,
      timeWindow: r.int(rl.timeWindow, 'rateLimit.timeWindow', 1, 86_400_000) ?? 60_000,
      redis,
      redisTimeout: r.int(rl.redisTimeout, 'rateLimit.redisTimeout', 1, 60_000) ?? 100
    }
  }

  const upstreamTls = r.obj(raw.upstreamTls, 'upstreamTls')
  r.keys(upstreamTls, 'upstreamTls', ['ca', 'rejectUnauthorized'])
  const caFile = r.str(upstreamTls.ca, 'upstreamTls.ca')
  let ca: string | undefined
  if (caFile !== undefined) {
    const path = resolve(where === 'defaults' ? cwd : resolve(where, '..'), caFile)
    try {
      ca = readFileSync(path, 'utf8')
    } catch (err) {
      throw new ConfigError(`${where}: "upstreamTls.ca" cannot be read: ${(err as Error).message}`)
    }
  }

  const status = r.obj(raw.status, 'status')
  r.keys(status, 'status', ['path', 'allow'])
  const statusPath = r.str(status.path, 'status.path') ?? '/__waf/status'
  if (!statusPath.startsWith('/')) r.fail('status.path', 'a path that starts with "/"', statusPath)

  const timeouts = r.obj(raw.timeouts, 'timeouts')
  r.keys(timeouts, 'timeouts', ['header', 'body'])

  const config: GatewayConfig = {
    host: r.str(listen.host, 'listen.host') ?? '0.0.0.0',
    port: r.int(listen.port, 'listen.port', 0, 65535) ?? 8080,
    workers: r.int(raw.workers, 'workers', 1, 256) ?? 1,
    node,
    upstream: r.url(raw.upstream, 'upstream', UPSTREAM_PROTOCOLS),
    mode: r.mode(raw.mode, 'mode') ?? 'block',
    domains,
    routes,
    plugins,
    logDir,
    channels,
    rules,
    access: { format: r.str(access.format, 'access.format') ?? 'json' },
    attack: { format: attackFormat },
    heartbeat: {
      interval: r.int(heartbeat.interval, 'heartbeat.interval', 100, 3_600_000) ?? 10_000,
      format: hbFormat,
      graphitePrefix
    },
    rateLimit,
    upstreamTls: { ca, rejectUnauthorized: r.bool(upstreamTls.rejectUnauthorized, 'upstreamTls.rejectUnauthorized') ?? true },
    status: { path: statusPath, allow: readAllow(r, status.allow, 'status.allow') },
    metrics: readMetrics(r, raw.metrics),
    edge: readEdge(r, raw, listen, base),
    timeouts: {
      header: r.int(timeouts.header, 'timeouts.header', 100, 3_600_000) ?? DEFAULT_CLIENT_TIMEOUTS.header,
      body: r.int(timeouts.body, 'timeouts.body', 100, 3_600_000) ?? DEFAULT_CLIENT_TIMEOUTS.body
    },
    source: where
  }
  // The Prometheus endpoint exposes the heartbeat's figures: without the heartbeat it would be empty.
  if (config.metrics !== undefined && !plugins.heartbeat) r.fail('plugins.heartbeat', 'true (or left out) while "metrics" is set: the metrics are the heartbeat\'s figures', false)
  return { config, warnings }
}
