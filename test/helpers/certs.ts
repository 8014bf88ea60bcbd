import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** PEM texts made at test time by openssl (EC P-256, valid for two days). */
export interface TestCerts {
  dir: string
  /** The test CA, and a second CA that signed nothing here. */
  ca: string
  otherCa: string
  /** Server certificate for `localhost`, `127.0.0.1` and `::1`, signed by `ca`. */
  serverKey: string
  serverCert: string
  /** Server certificate for `collector.example` only (to test SNI / `servername`), signed by `ca`. */
  sniKey: string
  sniCert: string
  /** Client certificate (CN `waf-client`), signed by `ca`, for collectors that ask for one. */
  clientKey: string
  clientCert: string
  /** Removes the directory. */
  cleanup(): Promise<void>
}

async function openssl (cwd: string, args: string[]): Promise<void> {
  try {
    await run('openssl', args, { cwd })
  } catch (err) {
    const e = err as Error & { stderr?: string }
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr ?? e.message}`)
  }
}

async function makeCa (dir: string, name: string, cn: string): Promise<void> {
  await openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${cn}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
}

let serial = 1000 + Math.floor(Math.random() * 1e6)

async function makeLeaf (dir: string, name: string, cn: string, ext: string): Promise<void> {
  await openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`])
  await writeFile(path.join(dir, `${name}.ext`), ext)
  await openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', String(serial++),
    '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`])
}

/** Makes a CA, server, SNI and client certificates, and an unrelated CA, in a new temp dir. */
export async function makeCerts (): Promise<TestCerts> {
  const dir = await mkdtemp(path.join(tmpdir(), 'waf-certs-'))
  await Promise.all([makeCa(dir, 'ca', 'waf test CA'), makeCa(dir, 'other', 'unrelated test CA')])
  const leaf = (san: string, usage: string): string =>
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=${usage}\n${san}`
  await Promise.all([
    makeLeaf(dir, 'server', 'localhost', leaf('subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n', 'serverAuth')),
    makeLeaf(dir, 'sni', 'collector.example', leaf('subjectAltName=DNS:collector.example\n', 'serverAuth')),
    makeLeaf(dir, 'client', 'waf-client', leaf('', 'clientAuth'))
  ])
  const read = (f: string): Promise<string> => readFile(path.join(dir, f), 'utf8')
  const [ca, otherCa, serverKey, serverCert, sniKey, sniCert, clientKey, clientCert] = await Promise.all(
    ['ca.crt', 'other.crt', 'server.key', 'server.crt', 'sni.key', 'sni.crt', 'client.key', 'client.crt'].map(read))
  return { dir, ca, otherCa, serverKey, serverCert, sniKey, sniCert, clientKey, clientCert, cleanup: () => rm(dir, { recursive: true, force: true }) }
}
