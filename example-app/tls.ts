import { readFileSync } from 'node:fs'
import { X509Certificate, createPrivateKey } from 'node:crypto'
import tls from 'node:tls'
import type { SecureContext, SecureContextOptions } from 'node:tls'
import { ConfigError } from './config-reader.js'
import type { CertificateFiles } from './config-edge.js'
import type { GatewayConfig } from './config.js'

/**
 * The gateway's certificates: `listen.tls` (the default one) and `domains.<name>.tls` (chosen by
 * SNI). `loadCertificates` reads and checks every file; it is all a reload needs to call again:
 * `CertificateStore.replace` swaps the loaded set under a running server (the SNI callback reads
 * the current set), and `defaultContextOptions` is what `server.setSecureContext` takes.
 */

export interface CertificateSettings {
  /** `listen.tls`. */
  default: CertificateFiles
  /** `domains.<name>.tls`, keyed by the domain (lowercase). */
  domains: Record<string, CertificateFiles>
  /** The configuration file, named in errors. */
  source: string
}

/** One certificate read and checked: the PEM texts and the context built from them. */
export interface LoadedCertificate {
  options: SecureContextOptions
  context: SecureContext
  /** The certificate's subject, for the banner. */
  subject: string
}

export interface LoadedCertificates {
  default: LoadedCertificate
  domains: Map<string, LoadedCertificate>
}

function readPem (setting: string, file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(`"${setting}": cannot read ${file}: ${(err as Error).message}`)
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g

/** Every certificate of a chain file must parse: OpenSSL would skip a bad one without a word. */
function checkChain (setting: string, file: string, pem: string): void {
  const blocks = pem.match(PEM_CERTIFICATE) ?? []
  if (blocks.length === 0) throw new ConfigError(`"${setting}": ${file} holds no PEM certificate`)
  blocks.forEach((block, i) => {
    try {
      // eslint-disable-next-line no-new
      new X509Certificate(block)
    } catch (err) {
      throw new ConfigError(`"${setting}": certificate ${i + 1} of ${file} does not load: ${(err as Error).message}`)
    }
  })
}

/** Reads and checks one certificate, key and chain; errors name the setting and the file. */
function loadOne (setting: string, files: CertificateFiles): LoadedCertificate {
  const certPem = readPem(`${setting}.cert`, files.cert)
  const keyPem = readPem(`${setting}.key`, files.key)
  const caPem = files.ca === undefined ? undefined : readPem(`${setting}.ca`, files.ca)
  let cert: X509Certificate
  try {
    cert = new X509Certificate(certPem)
  } catch (err) {
    throw new ConfigError(`"${setting}.cert": ${files.cert} is not a PEM certificate: ${(err as Error).message}`)
  }
  let key
  try {
    key = createPrivateKey(keyPem)
  } catch (err) {
    throw new ConfigError(`"${setting}.key": ${files.key} is not a PEM private key (or it is encrypted): ${(err as Error).message}`)
  }
  if (caPem !== undefined) checkChain(`${setting}.ca`, files.ca as string, caPem)
  if (!cert.checkPrivateKey(key)) {
    throw new ConfigError(`"${setting}.key": ${files.key} is not the private key of the certificate in ${files.cert}`)
  }
  const options: SecureContextOptions = { cert: certPem, key: keyPem, ...(caPem === undefined ? {} : { ca: caPem }) }
  let context: SecureContext
  try {
    context = tls.createSecureContext(options)
  } catch (err) {
    const file = caPem === undefined ? files.cert : files.ca as string
    throw new ConfigError(`"${setting}${caPem === undefined ? '.cert' : '.ca'}": ${file} does not load: ${(err as Error).message}`)
  }
  return { options, context, subject: cert.subject.replace(/\n/g, ', ') }
}

/** The certificate files of a configuration; undefined without `listen.tls`. */
export function certificateSettingsOf (config: GatewayConfig): CertificateSettings | undefined {
  const domains: Record<string, CertificateFiles> = {}
  for (const [name, d] of Object.entries(config.domains)) if (d.edge.tls !== undefined) domains[name] = d.edge.tls
  if (config.edge.tls === undefined) {
    const first = Object.keys(domains)[0]
    if (first !== undefined) throw new ConfigError(`${config.source}: "domains.${first}.tls" needs "listen.tls" (the default certificate, for clients that name no known domain)`)
    return undefined
  }
  return { default: config.edge.tls, domains, source: config.source }
}

/** Reads every certificate file anew; throws ConfigError naming the setting and the file. */
export function loadCertificates (settings: CertificateSettings): LoadedCertificates {
  try {
    const domains = new Map<string, LoadedCertificate>()
    for (const [name, files] of Object.entries(settings.domains)) domains.set(name, loadOne(`domains.${name}.tls`, files))
    return { default: loadOne('listen.tls', settings.default), domains }
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${settings.source}: ${err.message}`)
    throw err
  }
}

/** The loaded certificates a running server serves; `replace` swaps them (a reload). */
export class CertificateStore {
  #current: LoadedCertificates

  constructor (loaded: LoadedCertificates) {
    this.#current = loaded
  }

  get current (): LoadedCertificates {
    return this.#current
  }

  replace (loaded: LoadedCertificates): void {
    this.#current = loaded
  }

  /** The default certificate's options, for the server and for `server.setSecureContext`. */
  defaultContextOptions (): SecureContextOptions {
    return this.#current.default.options
  }

  /**
   * The SNI callback: the certificate of the domain the client named, matched as domains are
   * (lowercased, exact), or the default one. A bound function, safe to hand to the server.
   */
  readonly sniCallback = (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void): void => {
    const name = servername.toLowerCase()
    const hit = this.#current.domains.get(name)
    cb(null, (hit ?? this.#current.default).context)
  }
}

/** The certificates of a configuration, read and checked; undefined without `listen.tls`. */
export function certificateStoreOf (config: GatewayConfig): CertificateStore | undefined {
  const settings = certificateSettingsOf(config)
  return settings === undefined ? undefined : new CertificateStore(loadCertificates(settings))
}
