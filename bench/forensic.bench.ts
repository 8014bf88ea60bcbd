import { nsPer } from './harness.js'
import { againstBareAndPino } from './hello-world.js'
import { formatPlusLine } from '../lib/forensic/line.js'
import { HeaderNameSet } from '../lib/forensic/headers.js'
import { uniqueId } from '../lib/lifecycle/unique-id.js'

/**
 * Hello world with the forensic log writing to a loopback TCP collector (each "+" line written at
 * once, as httpd does, and batched), side by side with bare Fastify and Fastify's own pino
 * request logging (`logger: true`, to /dev/null). Then the cost of one "+" line, in process.
 */

export default async function (): Promise<void> {
  await againstBareAndPino(url => [
    { name: 'forensic -> tcp collector (immediate)', module: 'servers/forensic.js', args: { collector: url } },
    { name: 'forensic -> tcp collector (batched)', module: 'servers/forensic.js', args: { collector: url, immediate: false } }
  ])

  // What autocannon sends, and a browser-like request with hostile bytes to escape.
  const autocannon = ['host', '127.0.0.1:3000', 'user-agent', 'autocannon', 'accept', '*/*', 'connection', 'keep-alive']
  const browser = [
    'Host', 'shop.example', 'User-Agent', 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
    'Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'Accept-Language', 'en-US,en;q=0.5',
    'Accept-Encoding', 'gzip, deflate, br, zstd', 'Referer', 'https://shop.example/cart?x=1|2', 'Cookie', 'sid=abc%3D; theme=dark',
    'Authorization', 'Bearer secret', 'X-Utf8', Buffer.from('café 日本', 'utf8').toString('latin1'), 'Connection', 'keep-alive'
  ]
  const redact = new HeaderNameSet(['authorization', 'proxy-authorization'])
  const id = uniqueId()
  const n = 500_000
  // The line keeps the headers' part of the last one: a list like the previous request's reuses
  // it, any other is written whole. Alternating with a copy whose last value differs times that.
  const unlike = (list: string[]): string[] => list.map((x, i) => i === list.length - 1 ? x + ' ' : x)
  const rows: Array<[string, string, string[]]> = [["autocannon's 4 headers", 'GET / HTTP/1.1', autocannon], ['browser-like, 10 headers, escapes', 'GET /p?q=%41|x HTTP/1.1', browser]]
  process.stdout.write('\none "+" line, in process (ns per line)\n')
  for (const [name, requestLine, list] of rows) {
    const lists = [list, unlike(list)]
    let k = 0
    process.stdout.write(`  ${(name + ', as the last request').padEnd(52)} ${nsPer(n, () => formatPlusLine(id, requestLine, list, redact)).toFixed(0).padStart(6)} ns\n`)
    process.stdout.write(`  ${(name + ', unlike the last request').padEnd(52)} ${nsPer(n, () => formatPlusLine(id, requestLine, lists[k++ & 1], redact)).toFixed(0).padStart(6)} ns\n`)
  }
  process.stdout.write(`  ${'a new id'.padEnd(52)} ${nsPer(n, () => uniqueId()).toFixed(0).padStart(6)} ns\n`)
}
