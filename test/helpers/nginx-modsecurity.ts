import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NGINX_BIN, stopNginx } from './nginx.js'
import { freePort, waitForPort } from './ports.js'

/**
 * nginx with Debian's libnginx-mod-http-modsecurity (libmodsecurity3) on a loopback port, writing
 * ModSecurity's JSON audit log (SecAuditEngine On, SecAuditLogFormat JSON, parts ABIJDEFHZ) to a
 * temp file: the peer the modsec-json attack-log format is compared with. `rules` is the
 * SecLang the engine loads after those audit settings. Requests get a static file (not
 * `return`, which answers before ModSecurity's phases run).
 */
export const MODSECURITY_MODULE = '/usr/lib/nginx/modules/ngx_http_modsecurity_module.so'

export function modsecurityMissing (): string | undefined {
  if (!existsSync(NGINX_BIN)) return `${NGINX_BIN} is not installed (apt-get install nginx-light)`
  if (!existsSync(MODSECURITY_MODULE)) return `${MODSECURITY_MODULE} is not installed (apt-get install libnginx-mod-http-modsecurity)`
  return undefined
}

export interface NginxModsecurity {
  port: number
  /** The audit records written so far, parsed. */
  records(): unknown[]
  waitForRecords(n: number, timeoutMs?: number): Promise<unknown[]>
  stop(): Promise<void>
}

export async function startNginxModsecurity (rules: string): Promise<NginxModsecurity> {
  const dir = mkdtempSync(join(tmpdir(), 'waf-modsec-'))
  const port = await freePort()
  const audit = join(dir, 'audit.log')
  mkdirSync(join(dir, 'www'))
  writeFileSync(join(dir, 'www', 'ok.txt'), 'ok\n')
  writeFileSync(join(dir, 'modsec.conf'), [
    'SecAuditEngine On', 'SecAuditLogFormat JSON', 'SecAuditLogType Serial', 'SecAuditLogParts ABIJDEFHZ', `SecAuditLog ${audit}`, rules, ''
  ].join('\n'))
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0
  writeFileSync(join(dir, 'nginx.conf'), [
    `load_module ${MODSECURITY_MODULE};`,
    ...(asRoot ? ['user root;'] : []),
    'worker_processes 1;', 'daemon off;', `pid ${dir}/nginx.pid;`, `error_log ${dir}/error.log warn;`,
    'events { worker_connections 64; }',
    'http {',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(k => `  ${k}_temp_path ${join(dir, k)};`),
    '  server {',
    `    listen 127.0.0.1:${port};`,
    `    modsecurity on; modsecurity_rules_file ${join(dir, 'modsec.conf')};`,
    `    location / { root ${join(dir, 'www')}; try_files /ok.txt =404; }`,
    '  }',
    '}', ''
  ].join('\n'))
  const child = spawn(NGINX_BIN, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', d => { stderr += d })
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  try {
    await waitForPort(port, 30_000)
  } catch (err) {
    child.kill('SIGKILL')
    throw new Error(`nginx with ModSecurity did not start: ${(err as Error).message}\n${stderr}`)
  }
  const records = (): unknown[] => existsSync(audit) ? readFileSync(audit, 'utf8').split('\n').filter(l => l.length > 0).map(l => JSON.parse(l) as unknown) : []
  return {
    port,
    records,
    async waitForRecords (n, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs
      for (;;) {
        const r = records()
        if (r.length >= n) return r
        if (Date.now() > until) throw new Error(`ModSecurity's audit log has ${r.length} records, not ${n}`)
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    },
    async stop () {
      await stopNginx(child, exited)
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
