import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { childServer } from './harness.js'
import type { ExternalServer } from './harness.js'

/**
 * nginx from Debian as a reverse proxy peer: one worker (the Node gateway is one process too),
 * keep-alive to the upstream, `access_log` on in the combined format, and optionally ModSecurity
 * with Debian's OWASP CRS.
 */

export const NGINX = '/usr/sbin/nginx'
const MODSECURITY_MODULE = '/usr/lib/nginx/modules/ngx_http_modsecurity_module.so'
const CRS_SETUP = '/etc/modsecurity/crs/crs-setup.conf'
const CRS_RULES = '/usr/share/modsecurity-crs/rules'

export function nginxAvailable (modsecurity: boolean): boolean {
  return existsSync(NGINX) && (!modsecurity || (existsSync(MODSECURITY_MODULE) && existsSync(CRS_SETUP) && existsSync(CRS_RULES)))
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

export async function startNginxProxy (upstream: string, opts: { modsecurity: boolean }): Promise<ExternalServer> {
  const dir = mkdtempSync(join(tmpdir(), 'waf-bench-nginx-'))
  const port = await freePort()
  const up = new URL(upstream)
  const modsec = opts.modsecurity
    ? { load: `load_module ${MODSECURITY_MODULE};`, on: `modsecurity on; modsecurity_rules_file ${join(dir, 'modsec.conf')};` }
    : { load: '', on: '' }
  if (opts.modsecurity) {
    writeFileSync(join(dir, 'modsec.conf'), [
      'SecRuleEngine On',
      'SecRequestBodyAccess On',
      'SecAuditEngine Off',
      // owasp-crs.load uses IncludeOptional, which libmodsecurity 3 does not know.
      `Include ${CRS_SETUP}`,
      `Include ${CRS_RULES}/*.conf`,
      ''
    ].join('\n'))
  }
  writeFileSync(join(dir, 'nginx.conf'), `
${modsec.load}
user root;
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log ${dir}/access.log combined;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream demo { server ${up.host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    ${modsec.on}
    location / {
      proxy_pass http://demo;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }
  }
}
`)
  const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'inherit'] })
  await waitForPort(port)
  return childServer(child, port, () => child.kill('SIGQUIT'), () => rmSync(dir, { recursive: true, force: true }))
}
