import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml'
import type { Node } from 'yaml'

/**
 * Where a setting is in the configuration file, for `waf-gateway --check`'s `file:line: reason`.
 * Settings are named as the configuration's errors name them: `domains.shop.example.mode`,
 * `routes[1].prefix`. A key may hold dots itself (a domain name), so each step takes the longest
 * key of the mapping that the rest of the name starts with.
 */

/** The 1-based line of the deepest part of `setting` the file holds, or undefined when it holds none of it. */
export function settingLine (text: string, setting: string): number | undefined {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines })
  let node: unknown = doc.contents
  let rest = setting
  let at: number | undefined
  while (rest.length > 0) {
    const index = /^\[(\d+)\]\.?/.exec(rest)
    if (index !== null && isSeq(node)) {
      const item: unknown = node.items[Number(index[1])]
      if (item === undefined) break
      at = startOf(item) ?? at
      node = item
      rest = rest.slice(index[0].length)
      continue
    }
    if (!isMap(node)) break
    let best: { key: string, value: unknown, offset: number | undefined } | undefined
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined
      if (key === undefined || (best !== undefined && key.length <= best.key.length)) continue
      if (rest === key || rest.startsWith(key + '.') || rest.startsWith(key + '[')) best = { key, value: pair.value, offset: startOf(pair.key) }
    }
    if (best === undefined) break
    at = best.offset ?? at
    node = best.value
    rest = rest.slice(best.key.length).replace(/^\./, '')
  }
  return at === undefined ? undefined : lines.linePos(at).line
}

/** The line of the file's first YAML syntax error, and that error in one line. */
export function yamlErrorLine (text: string): { line: number, reason: string } | undefined {
  const doc = parseDocument(text, { lineCounter: new LineCounter() })
  const err = doc.errors[0]
  if (err === undefined) return undefined
  const first = err.message.split('\n')[0] ?? err.message
  return { line: err.linePos?.[0].line ?? 1, reason: first.replace(/ at line \d+, column \d+:?$/, '') }
}

function startOf (node: unknown): number | undefined {
  return (node as Node | null)?.range?.[0]
}
