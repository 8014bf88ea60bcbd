import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { corpusDir } from '../corpus.js'

/** libinjection's data and unit tests in the shared corpus. */
export function libinjectionDir (): string {
  return join(corpusDir(), 'libinjection')
}

export function libinjectionPresent (): boolean {
  return existsSync(join(libinjectionDir(), 'tests'))
}

export interface UnitTest {
  file: string
  name: string
  /** The input's bytes (right-trimmed, as libinjection's testdriver trims it). */
  input: Uint8Array
  expected: string
}

/** What libinjection's testdriver trims: spaces, tabs, CR and LF at the end. */
export function rtrim (s: string): string {
  return s.replace(/[ \t\r\n]+$/, '')
}

/**
 * A `--TEST--` / `--INPUT--` / `--EXPECTED--` file read as libinjection's testdriver reads it:
 * the section markers are whole lines, everything else belongs to the current section; input
 * and expected output are right-trimmed.
 */
export function readUnitTest (file: string): UnitTest {
  const bytes = readFileSync(file).toString('latin1')
  const sections: Record<string, string> = { TEST: '', INPUT: '', EXPECTED: '' }
  const order = ['TEST', 'INPUT', 'EXPECTED']
  let at = -1
  for (const line of bytes.split(/(?<=\n)/)) {
    if (at < 2 && line === `--${order[at + 1]!}--\n`) {
      at += 1
      continue
    }
    if (at < 0) throw new Error(`${file}: text before --TEST--`)
    sections[order[at]!] += line
  }
  if (at !== 2) throw new Error(`${file}: missing ${order.slice(at + 1).map(s => `--${s}--`).join(', ')}`)
  return {
    file,
    name: rtrim(sections.TEST!),
    input: Buffer.from(rtrim(sections.INPUT!), 'latin1'),
    expected: rtrim(sections.EXPECTED!)
  }
}

/** The unit test files whose names start with `prefix`, sorted. */
export function unitTestFiles (prefix: string): string[] {
  const dir = join(libinjectionDir(), 'tests')
  return readdirSync(dir).filter(f => f.startsWith(prefix) && f.endsWith('.txt')).sort().map(f => join(dir, f))
}

/** A payload line decoded as libinjection's reader decodes it: %XX and '+' (a space). */
export function urlDecode (line: string): Uint8Array {
  const out: number[] = []
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i)
    if (c === 0x2b) {
      out.push(0x20)
    } else if (c === 0x25 && i + 2 < line.length + 0 && isHex(line.charCodeAt(i + 1)) && isHex(line.charCodeAt(i + 2))) {
      out.push(parseInt(line.slice(i + 1, i + 3), 16))
      i += 2
    } else {
      out.push(c & 0xff)
    }
  }
  return Uint8Array.from(out)
}

function isHex (c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
}
