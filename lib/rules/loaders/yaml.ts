import { LineCounter, parseDocument, isMap, isSeq } from 'yaml'
import { RuleLoadError } from '../errors.js'
import type { RuleSetBuilder } from '../ruleset.js'
import { compileRuleObject, ruleList } from './object.js'

/** Loads a YAML rule file's text into the builder; errors carry the file, rule id, field and line. */
export function loadYamlRules (file: string, text: string, builder: RuleSetBuilder): number {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    throw new RuleLoadError(file, undefined, 'yaml', e.message.split('\n')[0], lines.linePos(e.pos[0]).line)
  }
  const list = ruleList(file, doc.toJS())
  // Line of each rule: the start of its item in the top-level (or `rules:`) sequence.
  let seq: unknown = doc.contents
  if (isMap(seq)) seq = seq.get('rules', true)
  const starts = isSeq(seq) ? seq.items.map(item => (item as unknown as { range?: [number] }).range?.[0]) : []
  list.forEach((obj, i) => {
    const pos = starts[i]
    builder.add(compileRuleObject(file, obj, pos === undefined ? undefined : lines.linePos(pos).line, i))
  })
  return list.length
}
