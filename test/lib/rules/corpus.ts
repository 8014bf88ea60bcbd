import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'

/** The shared payload corpus (`$WAF_CORPUS` or ../shared/corpus beside the repository). */
export function corpusDir (): string {
  return process.env.WAF_CORPUS ?? fileURLToPath(new URL('../../../../shared/corpus', import.meta.url))
}

export function payloadsPresent (): boolean {
  return existsSync(join(corpusDir(), 'payloads', 'sqli.txt'))
}

export interface CorpusFile {
  name: string
  attack: boolean
  /** The quality bar: at least this share detected (attacks), at most this share flagged (benign). */
  bar: number
}

export const CORPUS: readonly CorpusFile[] = [
  { name: 'sqli.txt', attack: true, bar: 0.90 },
  { name: 'xss.txt', attack: true, bar: 0.90 },
  { name: 'benign-text.txt', attack: false, bar: 0.01 },
  { name: 'benign.txt', attack: false, bar: 0.10 }
]

/** The payloads of a file, one per line, as bytes of UTF-8 (latin1 characters), empty lines dropped. */
export function payloads (name: string): string[] {
  return readFileSync(join(corpusDir(), 'payloads', name)).toString('latin1').split('\n').filter(l => l.length > 0)
}

/** A payload as a query or form value: percent-encoded byte by byte (what a browser sends). */
export function encodeValue (bytes: string): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes.charCodeAt(i)
    out += (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e
      ? bytes[i]
      : '%' + c.toString(16).toUpperCase().padStart(2, '0')
  }
  return out
}

/** Request headers of an ordinary browser, for requests built from payloads. */
export const BROWSER_HEADERS: readonly string[] = [
  'Host', 'shop.example',
  'User-Agent', 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'Accept-Language', 'en-US,en;q=0.5',
  'Accept-Encoding', 'gzip, deflate, br',
  'Connection', 'keep-alive'
]
