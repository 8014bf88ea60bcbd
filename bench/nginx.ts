import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { childServer } from './harness.js'
import type { ExternalServer } from './harness.js'

/**
 * nginx from Debian as a reverse proxy peer: one worker (the Node gateway is one process too),
 * keep-alive to the upstream, `access_log` on in the combined format, and optionally
 * ModSecurity (Debian's libnginx-mod-http-modsecurity, libmodsecurity3) with a rules file
 * (bench/crs-conf.ts writes the one the gateway loads too).
 */

export const NGINX = '/usr/sbin/nginx'
export const MODSECURITY_MODULE = '/usr/lib/nginx/modules/ngx_http_modsecurity_module.so'
/** Debian's ModSecurity configuration (libnginx-mod-http-modsecurity): the recommended settings. */
export const MODSECURITY_CONF = '/etc/nginx/modsecurity.conf'

export function nginxAvailable (modsecurity: boolean): boolean {
  return existsSync(NGINX) && (!modsecurity || (existsSync(MODSECURITY_MODULE) && existsSync(MODSECURITY_CONF)))
}

/** A loopback port that was free a moment ago, for peers that cannot report theirs. */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

// test/helpers (nginx.ts, apache.ts) probe ports alike, but bench/ is built into dist/ without test/, so it keeps its own probe.
export async function waitForPort (port: number, what = 'nginx'): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>(resolve => {
      const s = net.connect(port, '127.0.0.1')
      s.once('connect', () => { s.destroy(); resolve(true) })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    await new Promise(resolve => setTimeout(resolve, 25))
  }
  throw new Error(`${what} did not listen on ${port}`)
}

export interface NginxProxy extends ExternalServer {
  /** What nginx wrote on stderr before its error log was open (ModSecurity's count of the rules it loaded). */
  startupLog: () => string
  /** nginx's error log so far: ModSecurity's messages (the rules that matched: at `info`, those that denied: at `error`). */
  errorLog: () => string
}

/**
 * `modsecurityRules`: a SecLang file ModSecurity loads (`modsecurity_rules_file`); none: a plain
 * proxy. `errorLogLevel` (`warn` by default) `info` logs every rule ModSecurity matched.
 */
export async function startNginxProxy (upstream: string, opts: { modsecurityRules?: string, errorLogLevel?: 'warn' | 'info' } = {}): Promise<NginxProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'waf-bench-nginx-'))
  const port = await freePort()
  const up = new URL(upstream)
  const rules = opts.modsecurityRules
  const errorLog = join(dir, 'error.log')
  writeFileSync(join(dir, 'nginx.conf'), `
${rules === undefined ? '' : `load_module ${MODSECURITY_MODULE};`}
user root;
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${errorLog} ${opts.errorLogLevel ?? 'warn'};
events { worker_connections 4096; }
http {
  access_log ${dir}/access.log combined;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  # The multipart row's 64 KB body is read into memory, as the gateway reads it.
  client_body_buffer_size 128k;
  client_max_body_size 1m;
  upstream demo { server ${up.host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    ${rules === undefined ? '' : `modsecurity on; modsecurity_rules_file ${rules};`}
    location / {
      proxy_pass http://demo;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }
  }
}
`)
  const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const read = (): string => existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : ''
  try {
    await waitForPort(port)
  } catch (err) {
    child.kill('SIGKILL')
    throw new Error(`${(err as Error).message}:\n${stderr}${read()}`)
  }
  const server = childServer(child, port, () => child.kill('SIGQUIT'), () => rmSync(dir, { recursive: true, force: true }))
  return { ...server, startupLog: () => stderr, errorLog: read }
}
