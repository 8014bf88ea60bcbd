import type { TransformNode } from './model.js'
import { getTransformation } from './transformations/index.js'

/**
 * The transformation trie, shared by every rule set in the process: equal chains are the same
 * node, and a chain's prefixes are its ancestors, so per-request caches (VarEntry.tc) are keyed
 * by small integer ids and shared across rules and rule sets.
 */
const ROOT: TransformNode = { id: 0, name: '', fn: s => s, parent: undefined, key: '', trigger: undefined, triggerBits: undefined, solo: undefined }
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
      const parentBits = node.parent === undefined ? 0 : node.triggerBits
      const bits = parentBits === undefined || t.trigger === undefined ? undefined : bitOf(t.trigger)
      const solo = node === ROOT ? undefined : transformChain([t.name])
      next = {
        id: nextId++,
        name: t.name,
        fn: t.fn,
        parent: node,
        key,
        trigger: cls === undefined ? undefined : new RegExp(`[${cls}]`),
        triggerBits: bits === undefined ? undefined : (parentBits as number) | bits,
        solo
      }
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

/**
 * Trigger classes as bits, so that "does this value hold any character this chain acts on" is
 * one AND of two integers: each distinct class gets a bit (up to MAX_BITS; later classes fall
 * back to the node's RegExp), and every byte the bits of the classes that contain it. A
 * value's mask (./variables.ts) is computed once per request.
 */
const MAX_BITS = 30
const classBits = new Map<string, number>()
const byteBits = new Uint32Array(256)
/** Every bit: for characters beyond a byte (never in byte strings), which may change under anything. */
const ALL_BITS = (2 ** MAX_BITS) - 1

function bitOf (cls: string): number | undefined {
  let bit = classBits.get(cls)
  if (bit !== undefined) return bit
  if (classBits.size >= MAX_BITS) return undefined
  bit = 1 << classBits.size
  const re = new RegExp(`[${cls}]`)
  for (let c = 0; c < 256; c++) if (re.test(String.fromCharCode(c))) byteBits[c] |= bit
  classBits.set(cls, bit)
  return bit
}

/** Changes whenever a class is added: masks computed before are stale. */
export function maskVersion (): number {
  return classBits.size
}

/** The trigger bits of the characters of `s`. */
export function charMask (s: string): number {
  let m = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    m |= c < 256 ? byteBits[c] : ALL_BITS
  }
  return m
}
