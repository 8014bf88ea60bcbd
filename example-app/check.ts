import { mkdirSync, readFileSync } from 'node:fs'
import Fastify from 'fastify'
import { waf } from '../plugins/index.js'
import { ConfigError, loadConfig } from './config.js'
import type { GatewayConfig } from './config.js'
import { settingLine, yamlErrorLine } from './config-lines.js'
import { rulesSummary, wafOptionsOf } from './gateway.js'
import { certificateStoreOf } from './tls.js'

/**
 * `waf-gateway --check`, as `nginx -t`: loads the configuration, the certificates and every rule
 * file as a start would, and checks that each file channel can be written, without listening
 * or writing a line. The outcome is one line: what was checked, or the first problem as
 * `file:line: reason` (the line of the setting at fault, when the file holds it).
 */

export interface CheckOutcome {
  ok: boolean
  /** What was checked, or the first problem (`file:line: reason`). */
  message: string
  /** What the operator should see either way: SecLang rules not loaded, WAF_* variables that set nothing. */
  warnings: string[]
}

export async function checkGateway (env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Promise<CheckOutcome> {
  const warnings: string[] = []
  let config: GatewayConfig
  try {
    const loaded = loadConfig(env, cwd)
    warnings.push(...loaded.warnings)
    config = loaded.config
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, message: locate(err.message), warnings }
    throw err
  }
  try {
    certificateStoreOf(config)
    // A start creates the log folder (primary.ts): so does the check, so that what it checks next
    // (every file channel can be written) is what the start will find.
    if (Object.values(config.channels).some(url => url.startsWith('file:'))) mkdirSync(config.logDir, { recursive: true })
    const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => { warnings.push(messageOfLogLine(line)) } } } })
    // Everything the waf plugins load (rules compiled, channels opened, formats compiled); the
    // heartbeat is left out, as its closing report would write a line.
    await app.register(waf, { ...wafOptionsOf(config), heartbeat: false })
    await app.ready()
    const rules = rulesSummary(app)
    await app.close()
    const source = config.source === 'defaults' ? 'the embedded defaults' : config.source
    return { ok: true, message: `configuration ${source} test is successful (${rules})`, warnings }
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, message: locate(err.message), warnings }
    const e = err as Error
    // A rule file's error names its file and line already; any other names an option.
    if (e.name === 'RuleLoadError') return { ok: false, message: e.message, warnings }
    // A channel the transport refuses is the setting `channels.<name>`.
    const channel = /channel "(\w+)"/.exec(e.message)?.[1]
    return { ok: false, message: locate(`${config.source}: ${channel === undefined ? '' : `"channels.${channel}": `}${e.message}`), warnings }
  }
}

/**
 * `/etc/waf.yaml: "mode" must be …` → `/etc/waf.yaml:4: "mode" must be …`. Errors about the
 * environment, or a file that cannot be read, are already where they belong.
 */
function locate (message: string): string {
  const m = /^(\/[^:]*|[A-Za-z]:\\[^:]*): (.*)$/s.exec(message)
  if (m === null) return message
  const [, file, reason] = m as unknown as [string, string, string]
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return message
  }
  if (reason.startsWith('not valid YAML')) {
    const syntax = yamlErrorLine(text)
    return syntax === undefined ? message : `${file}:${syntax.line}: not valid YAML: ${syntax.reason}`
  }
  const setting = /^"([^"]+)"/.exec(reason)?.[1]
  const line = setting === undefined ? undefined : settingLine(text, setting)
  return line === undefined ? message : `${file}:${line}: ${reason}`
}

function messageOfLogLine (line: string): string {
  try {
    const rec = JSON.parse(line) as { msg?: unknown }
    return typeof rec.msg === 'string' ? rec.msg : line.trim()
  } catch {
    return line.trim()
  }
}
