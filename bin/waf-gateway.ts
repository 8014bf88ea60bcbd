#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'

/**
 * waf-gateway [--config FILE] [--check]
 *
 * The fastify-waflog gateway as a command (what `npm start` runs in the repository). `--check`
 * validates the configuration and the rules and exits as `nginx -t` does.
 */

const USAGE = `usage: waf-gateway [--config FILE] [--check]
  Runs the fastify-waflog gateway: the waf plugins in front of an upstream.
  --config FILE  the YAML configuration (default: $WAF_CONFIG; with neither, the embedded
                 defaults: port 8080, the bundled demo upstream, logs under ./logs/)
  --check        load the configuration, the certificates and the rules, check that every log
                 file can be written, then print one line and exit: 0 when it is OK, 1 with
                 file:line: reason when it is not
  --version      print the version and exit
  --help         print this and exit
  WAF_* environment variables override the file (WAF_PORT, WAF_WORKERS, WAF_UPSTREAM, ...).
`

function version (): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

async function main (): Promise<void> {
  let values: { config?: string | undefined, check?: boolean | undefined, version?: boolean | undefined, help?: boolean | undefined }
  try {
    values = parseArgs({
      options: {
        config: { type: 'string', short: 'c' },
        check: { type: 'boolean', short: 't' },
        version: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' }
      },
      allowPositionals: false
    }).values
  } catch (err) {
    process.stderr.write(`waf-gateway: ${(err as Error).message}\n${USAGE}`)
    process.exit(2)
  }
  if (values.help === true) {
    process.stdout.write(USAGE)
    return
  }
  if (values.version === true) {
    process.stdout.write(`waf-gateway (fastify-waflog) ${version()}\n`)
    return
  }
  const env = values.config === undefined ? process.env : { ...process.env, WAF_CONFIG: resolve(values.config) }
  if (values.check === true) {
    // Loaded when needed: --version and --help answer without loading the gateway.
    const { checkGateway } = await import('../example-app/check.js')
    const outcome = await checkGateway(env)
    for (const w of outcome.warnings) process.stderr.write(`waf-gateway: warning: ${w}\n`)
    if (outcome.ok) process.stdout.write(`waf-gateway: ${outcome.message}\n`)
    else process.stderr.write(`waf-gateway: ${outcome.message}\n`)
    process.exit(outcome.ok ? 0 : 1)
  }
  const { runGateway } = await import('../example-app/server.js')
  await runGateway(env)
}

main().catch(err => {
  process.stderr.write(`waf-gateway: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
