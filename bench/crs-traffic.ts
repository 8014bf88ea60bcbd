import type { RequestInput } from '../lib/rules/index.js'
import { formPost } from './requests.js'

/**
 * Requests that look like traffic, for the CRS rows (`bench/crs.bench.ts`): what a browser, an
 * API client, a form, an upload and an attacker send. Every value is deterministic. Request `i`
 * of a kind (trafficSeries) varies what a real client varies from one request to the next (the
 * browser's path and the query's id, the API's order, the form's token, the upload's title, the
 * attack's id) while headers and cookies stay, so that results remembered across requests
 * (the engine's result cache) are measured as they would help, not as a loop of one request.
 */

const BROWSER = [
  'Host', 'shop.example',
  'User-Agent', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8',
  'Accept-Language', 'en-GB,en-US;q=0.9,en;q=0.8',
  'Accept-Encoding', 'gzip, deflate, br, zstd',
  'Referer', 'https://shop.example/catalog/shoes?page=2&sort=price_asc',
  'Connection', 'keep-alive',
  'Cookie', '_ga=GA1.2.1029384756.1733500000; _gid=GA1.2.564738291.1733500000; session=9f8e7d6c5b4a39281706f5e4d3c2b1a0; cart=3; theme=dark; consent=analytics%3Dtrue%26ads%3Dfalse',
  'Upgrade-Insecure-Requests', '1',
  'Sec-Fetch-Dest', 'document',
  'Sec-Fetch-Mode', 'navigate',
  'Sec-Ch-Ua', '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"'
]

const API = [
  'Host', 'api.example', 'User-Agent', 'shop-app/4.2.1 (okhttp/4.12.0)', 'Accept', 'application/json',
  'Authorization', 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTYiLCJpYXQiOjE3MzM1MDAwMDB9.c2lnbmF0dXJlLXZhbHVlLWhlcmU',
  'Accept-Encoding', 'gzip', 'Connection', 'keep-alive'
]

/** A browser GET: 12 headers, cookies, 4 arguments; request `n` has its own product path and id. */
export function browserGet (n = 0): RequestInput {
  return { method: 'GET', url: `/products/${7301 + n}/search?id=${42000 + n}&q=blue+running+shoes&size=42&color=navy`, protocol: 'HTTP/1.1', rawHeaders: BROWSER, remoteAddress: '203.0.113.7' }
}

export const BROWSER_GET: RequestInput = browserGet()

/** A JSON API POST of about 1 KB; request `n` has its own order reference. */
export function jsonPost (n = 0): RequestInput {
  const items = []
  for (let i = 0; JSON.stringify(items).length < 900; i++) items.push({ sku: `SKU-${1000 + i}`, qty: 1 + (i % 3), note: `gift wrap ${i}` })
  const json = { order: { ref: `o-${900000 + n}`, customer: 'c-481516', currency: 'EUR', items }, coupon: 'WINTER24' }
  const raw = JSON.stringify(json)
  return { method: 'POST', url: '/api/v2/orders', protocol: 'HTTP/1.1', rawHeaders: [...API, 'Content-Type', 'application/json', 'Content-Length', String(raw.length)], remoteAddress: '203.0.113.8', body: { json, raw } }
}

/** The 4 KB urlencoded form POST of ./requests.ts, from the browser; request `n` has its own token (the form stays 4 KB). */
export function formPost4k (n = 0): RequestInput {
  const post = formPost()
  const form = `token=${(0x5eed0000 + n).toString(16).padStart(8, '0')}&${post.body?.form ?? ''}`.slice(0, 4096)
  return { ...post, body: { form }, rawHeaders: [...BROWSER, 'Content-Type', 'application/x-www-form-urlencoded', 'Content-Length', String(form.length)] }
}

/** A 64 KB multipart upload: two text fields and one file (the body parsed as the plugin passes it); request `n` has its own title. */
export function multipartUpload (n = 0): RequestInput {
  const boundary = '----WebKitFormBoundary7MA4YWxkTrZu0gW'
  let content = ''
  for (let i = 0; content.length < 64 * 1024 - 600; i++) content += `line ${i}: quarterly figures, region ${i % 12}, total ${(i * 37) % 1000}\n`
  const fields = [{ key: 'title', value: `Q3 report ${n}` }, { key: 'folder', value: 'finance/2026' }]
  const raw = [
    ...fields.map(f => `--${boundary}\r\nContent-Disposition: form-data; name="${f.key}"\r\n\r\n${f.value}\r\n`),
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="report.txt"\r\nContent-Type: text/plain\r\n\r\n${content}\r\n`,
    `--${boundary}--\r\n`
  ].join('')
  return {
    method: 'POST',
    url: '/upload',
    protocol: 'HTTP/1.1',
    rawHeaders: [...BROWSER, 'Content-Type', `multipart/form-data; boundary=${boundary}`, 'Content-Length', String(raw.length)],
    remoteAddress: '203.0.113.7',
    body: { fields, files: [{ field: 'file', filename: 'report.txt', size: content.length }], raw }
  }
}

/** An attack: SQL injection and XSS in the query, a scanner's User-Agent; request `n` tries its own id. */
export function attack (n = 0): RequestInput {
  return {
    method: 'GET',
    url: `/products?id=${encodeURIComponent(`${1 + n}' UNION SELECT username,password FROM users--`)}&q=${encodeURIComponent('<script>alert(document.cookie)</script>')}`,
    protocol: 'HTTP/1.1',
    rawHeaders: ['Host', 'shop.example', 'User-Agent', 'sqlmap/1.8.2#stable (https://sqlmap.org)', 'Accept', '*/*'],
    remoteAddress: '198.51.100.23'
  }
}

export const ATTACK: RequestInput = attack()

/** The mix, by name, in the order the benchmark prints it: request `n` of each kind. */
export function trafficSeries (): Array<[string, (n: number) => RequestInput]> {
  return [['browser GET', browserGet], ['JSON POST 1 KB', jsonPost], ['form POST 4 KB', formPost4k], ['multipart 64 KB', multipartUpload], ['attack', attack]]
}

/** The first request of each kind of the mix. */
export function trafficMix (): Array<[string, RequestInput]> {
  return trafficSeries().map(([name, nth]) => [name, nth(0)])
}
