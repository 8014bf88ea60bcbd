/**
 * The XML request body as ModSecurity's XML processor exposes it to the CRS:
 * `XML:/*` is the text content of the document element (every text and CDATA node, in
 * document order, concatenated, as libxml2's xmlNodeGetContent gives it), and `XML://@*`
 * is the value of every attribute. Entities are the five predefined ones and character
 * references (written as UTF-8 bytes, since values are byte strings); a DOCTYPE is skipped and never resolved (no external entities). Malformed
 * input is reported as an error (REQBODY_ERROR) with what was read up to that point.
 * One linear pass; no recursion, so nesting depth costs nothing.
 */
export interface XmlContent {
  text: string
  attributes: Array<{ name: string, value: string }>
  error?: string
}

export function parseXmlBody (src: string): XmlContent {
  const attributes: XmlContent['attributes'] = []
  let text = ''
  let depth = 0
  let sawRoot = false
  let i = 0
  const n = src.length
  const fail = (msg: string): XmlContent => ({ text, attributes, error: `XML parsing error: ${msg} at offset ${i}` })
  while (i < n) {
    const lt = src.indexOf('<', i)
    const chunkEnd = lt === -1 ? n : lt
    if (chunkEnd > i) {
      const chunk = src.slice(i, chunkEnd)
      if (depth > 0) text += decodeEntities(chunk)
      else if (chunk.trim().length > 0) { i = chunkEnd; return fail('text outside the document element') }
    }
    if (lt === -1) break
    i = lt
    if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i + 4)
      if (end === -1) return fail('unterminated comment')
      i = end + 3
    } else if (src.startsWith('<![CDATA[', i)) {
      const end = src.indexOf(']]>', i + 9)
      if (end === -1) return fail('unterminated CDATA section')
      if (depth === 0) return fail('CDATA outside the document element')
      text += src.slice(i + 9, end)
      i = end + 3
    } else if (src.startsWith('<?', i)) {
      const end = src.indexOf('?>', i + 2)
      if (end === -1) return fail('unterminated processing instruction')
      i = end + 2
    } else if (src.startsWith('<!', i)) {
      const end = doctypeEnd(src, i)
      if (end === -1) return fail('unterminated declaration')
      i = end
    } else if (src[i + 1] === '/') {
      const end = src.indexOf('>', i)
      if (end === -1) return fail('unterminated end tag')
      if (depth === 0) return fail('end tag without start tag')
      depth--
      i = end + 1
    } else {
      if (depth === 0 && sawRoot) return fail('more than one document element')
      const r = readStartTag(src, i + 1, attributes)
      if (typeof r === 'string') return fail(r)
      sawRoot = true
      if (!r.selfClosing) depth++
      i = r.end
    }
  }
  if (!sawRoot) return fail('no document element')
  if (depth !== 0) return fail('unclosed element')
  return { text, attributes }
}

function readStartTag (src: string, from: number, attributes: XmlContent['attributes']): { end: number, selfClosing: boolean } | string {
  let i = from
  const n = src.length
  const nameStart = i
  while (i < n && !isSpace(src[i]!) && src[i] !== '>' && src[i] !== '/') i++
  if (i === nameStart) return 'empty element name'
  for (;;) {
    while (i < n && isSpace(src[i]!)) i++
    if (i >= n) return 'unterminated start tag'
    if (src[i] === '>') return { end: i + 1, selfClosing: false }
    if (src[i] === '/' && src[i + 1] === '>') return { end: i + 2, selfClosing: true }
    const an = i
    while (i < n && src[i] !== '=' && !isSpace(src[i]!) && src[i] !== '>' && src[i] !== '/') i++
    const name = src.slice(an, i)
    if (name.length === 0) return 'invalid attribute'
    while (i < n && isSpace(src[i]!)) i++
    if (src[i] !== '=') return `attribute ${name} without value`
    i++
    while (i < n && isSpace(src[i]!)) i++
    const q = src[i]
    if (q !== '"' && q !== "'") return `attribute ${name} value not quoted`
    const close = src.indexOf(q, i + 1)
    if (close === -1) return `unterminated value of attribute ${name}`
    attributes.push({ name, value: decodeEntities(src.slice(i + 1, close)) })
    i = close + 1
  }
}

/** The end of `<!DOCTYPE … [ … ]>` or another `<!…>` declaration, brackets balanced. */
function doctypeEnd (src: string, from: number): number {
  let bracket = 0
  let quote = ''
  for (let i = from + 2; i < src.length; i++) {
    const c = src[i]
    if (quote !== '') { if (c === quote) quote = ''; continue }
    if (c === '"' || c === "'") quote = c
    else if (c === '[') bracket++
    else if (c === ']') bracket--
    else if (c === '>' && bracket <= 0) return i + 1
  }
  return -1
}

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }

export function decodeEntities (s: string): string {
  if (!s.includes('&')) return s
  return s.replace(/&(#[xX][0-9a-fA-F]+|#[0-9]+|[A-Za-z]+);/g, (m, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10)
      if (cp <= 0 || cp > 0x10ffff) return m
      // Values are byte strings (../regex.ts): a character reference becomes its UTF-8 bytes, as libxml2 stores it.
      return cp < 0x80 ? String.fromCharCode(cp) : Buffer.from(String.fromCodePoint(cp), 'utf8').toString('latin1')
    }
    return NAMED[e] ?? m
  })
}

function isSpace (c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r'
}
