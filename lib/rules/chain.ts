import type { TransformNode } from './model.js'
import { getTransformation } from './transformations/index.js'

/**
 * The transformation trie, shared by every rule set in the process: equal chains are the same
 * node, and a chain's prefixes are its ancestors, so per-request caches (VarEntry.tc) are keyed
 * by small integer ids and shared across rules and rule sets.
 */
const ROOT: TransformNode = { id: 0, name: '', fn: s => s, parent: undefined, key: '', trigger: undefined }
/** The trigger classes of each node's chain, for building the next node's. */
const classes = new Map<number, string | undefined>([[0, '']])
const nodes = new Map<string, TransformNode>([['', ROOT]])
let nextId = 1

export const IDENTITY: TransformNode = ROOT

/**
 * The node for a list of transformation names. `none` drops everything before it, as in
 * SecLang. Throws an Error naming the first unknown transformation.
 */
export function transformChain (names: readonly string[]): TransformNode {
  let node = ROOT
  for (const raw of names) {
    const t = getTransformation(raw)
    if (t === undefined) throw new Error(`unknown transformation "${raw}"`)
    if (t.name === 'none') {
      node = ROOT
      continue
    }
    const key = node.key.length === 0 ? t.name : `${node.key},${t.name}`
    let next = nodes.get(key)
    if (next === undefined) {
      const before = classes.get(node.id)
      const cls = before === undefined || t.trigger === undefined ? undefined : before + t.trigger
      next = { id: nextId++, name: t.name, fn: t.fn, parent: node, key, trigger: cls === undefined ? undefined : new RegExp(`[${cls}]`) }
      nodes.set(key, next)
      classes.set(next.id, cls)
    }
    node = next
  }
  return node
}

/** The nodes from the first transformation to `node`, in order (for multiMatch). */
export function chainStages (node: TransformNode): TransformNode[] {
  const out: TransformNode[] = []
  for (let n: TransformNode | undefined = node; n !== undefined && n.parent !== undefined; n = n.parent) out.push(n)
  return out.reverse()
}
