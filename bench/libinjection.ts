import { detectSQLi, detectXSS } from '../lib/rules/libinjection/index.js'
import { compileRegex } from '../lib/rules/regex.js'
import type { CompiledRule } from '../lib/rules/index.js'

/**
 * libinjection's detectors beside the default rules' regexes: median CPU µs per call on a
 * 100-byte value (benign, SQLi, XSS) and on 100 KB adversarial values (budgets: 2 µs per 100
 * bytes, 5 ms per 100 KB).
 */

const BENIGN = 'id=1234&name=John Smith&email=john@example.com&comment=Hello there, nice site!&page=2&sort=asc&x=y'
const SQLI = "1' UNION SELECT username, password FROM users WHERE '1'='1' -- and the rest of the value ....."
const XSS = '<img src=x onerror=alert(document.cookie)> and a little text after it to make a 100-byte val'
const ADVERSARIAL: Array<[string, string]> = [['quotes', "'"], ['comment opens', '/*'], ['parentheses', '('], ["'<a/' runs", '<a/'], ["'<!-' runs", '<!-'], ["' a=' runs", ' a=']]

function fill (unit: string, n: number): Buffer {
  return Buffer.from(unit.repeat(Math.ceil(n / unit.length)).slice(0, n), 'latin1')
}

export function detectorReport (rules: CompiledRule[], micros: (run: () => unknown, iterations: number) => number): string {
  const regexRules = rules.filter(r => r.operator.name === 'rx' && (r.detectType === 'sqli' || r.detectType === 'xss'))
  const regexes = regexRules.map(r => compileRegex(r.operator.argument))
  const lines: string[] = ['libinjection detectors beside the default SQLi/XSS regexes: median CPU µs per call']
  for (const [name, text] of [['100-byte benign value', BENIGN], ['100-byte SQLi', SQLI], ['100-byte XSS', XSS]] as const) {
    const value = Buffer.from(text.slice(0, 100), 'latin1')
    const s = value.toString('latin1')
    // The detectors are large loops that V8 optimises late: 500 calls of warm-up (micros' own)
    // left them half-optimised (3.4 µs against 1.9 in steady state on the same quiet machine).
    for (let i = 0; i < 300_000; i++) { detectSQLi(value); detectXSS(value) }
    const sqli = micros(() => detectSQLi(value), 50000)
    const xss = micros(() => detectXSS(value), 50000)
    const rx = micros(() => { for (const re of regexes) re.test(s) }, 20000) / regexes.length
    lines.push(`  ${name.padEnd(24)} detectSQLi ${sqli.toFixed(2).padStart(6)} µs   detectXSS ${xss.toFixed(2).padStart(6)} µs   one regex rule (mean of ${regexes.length}) ${rx.toFixed(2).padStart(6)} µs`)
  }
  for (const [name, unit] of ADVERSARIAL) {
    const value = fill(unit, 100 * 1024)
    const sqli = micros(() => detectSQLi(value), 60) / 1000
    const xss = micros(() => detectXSS(value), 60) / 1000
    lines.push(`  100 KB of ${name.padEnd(14)} detectSQLi ${sqli.toFixed(2).padStart(6)} ms   detectXSS ${xss.toFixed(2).padStart(6)} ms`)
  }
  return lines.join('\n') + '\n'
}
