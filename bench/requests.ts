import type { RequestInput } from '../lib/rules/index.js'

/**
 * The requests the rule-engine benchmarks (`rules`, `crs`) check: a typical browser GET with 10
 * headers and 5 arguments, and a 4 KB urlencoded form post with the same headers.
 */

const HEADERS = [
  'Host', 'shop.example', 'User-Agent', 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'Accept-Language', 'en-US,en;q=0.5',
  'Accept-Encoding', 'gzip, deflate, br', 'Referer', 'https://shop.example/catalog?page=2', 'Connection', 'keep-alive',
  'Cookie', 'session=9f8e7d6c5b4a39281706f5e4d3c2b1a0; theme=dark', 'Upgrade-Insecure-Requests', '1', 'Cache-Control', 'max-age=0'
]

export const TYPICAL_GET: RequestInput = { method: 'GET', url: '/products/search?q=blue+shoes&size=42&color=navy&page=3&sort=price_asc', protocol: 'HTTP/1.1', rawHeaders: HEADERS, remoteAddress: '203.0.113.7' }

/** The form post; its REQUEST_BODY is the form text (the engine's default for `form`). */
export function formPost (): RequestInput {
  const fields: string[] = []
  for (let i = 0; fields.join('&').length < 4096; i++) fields.push(`field${i}=${encodeURIComponent(`Some ordinary text for field ${i}, with words and numbers ${i * 7}.`)}`)
  const form = fields.join('&').slice(0, 4096)
  return { method: 'POST', url: '/checkout', protocol: 'HTTP/1.1', rawHeaders: [...HEADERS, 'Content-Type', 'application/x-www-form-urlencoded', 'Content-Length', String(form.length)], remoteAddress: '203.0.113.7', body: { form } }
}
