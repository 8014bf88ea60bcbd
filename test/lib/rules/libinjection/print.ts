import type { SqliToken } from '../../../../lib/rules/libinjection/sqli-tokenizer.js'
import { H5_TYPE_NAMES, type Html5State } from '../../../../lib/rules/libinjection/html5-tokenizer.js'

/** A token as libinjection's testdriver prints it (print_token). */
export function printToken (t: SqliToken): string {
  const type = String.fromCharCode(t.type)
  const quoted = (): string =>
    (t.strOpen !== 0 ? String.fromCharCode(t.strOpen) : '') + t.text() + (t.strClose !== 0 ? String.fromCharCode(t.strClose) : '')
  if (type === 's') return `${type} ${quoted()}\n`
  if (type === 'v') return `${type} ${t.count >= 1 ? '@' : ''}${t.count === 2 ? '@' : ''}${quoted()}\n`
  return `${type} ${t.text()}\n`
}

/** An HTML5 token as the testdriver prints it (print_html5_token: %s stops at a NUL). */
export function printHtml5Token (h: Html5State): string {
  let text = ''
  for (let i = h.tokenStart; i < h.tokenStart + h.tokenLen && h.s[i] !== 0; i++) text += String.fromCharCode(h.s[i]!)
  return `${H5_TYPE_NAMES[h.tokenType]!},${h.tokenLen},${text}\n`
}
