import { RuleLoadError } from '../errors.js'
import type { RuleSetBuilder } from '../ruleset.js'
import { compileRuleObject, ruleList } from './object.js'

/** Loads a JSON rule file's text (the YAML format's JSON form) into the builder. */
export function loadJsonRules (file: string, text: string, builder: RuleSetBuilder): number {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    throw new RuleLoadError(file, undefined, 'json', (err as Error).message)
  }
  const list = ruleList(file, doc)
  list.forEach((obj, i) => builder.add(compileRuleObject(file, obj, undefined, i)))
  return list.length
}
