import type { Macro, MatchContext } from '../model.js'

const MAX_CACHED = 64

/**
 * For operators whose argument has macros: builds the operator's state for each distinct
 * expansion once and keeps the last MAX_CACHED, so a pattern is never compiled per request
 * once its expansion has been seen.
 */
export function expanding<T> (macro: Macro, build: (text: string) => T): (ctx: MatchContext) => T {
  const cache = new Map<string, T>()
  return ctx => {
    const text = ctx.expand(macro)
    let v = cache.get(text)
    if (v === undefined) {
      v = build(text)
      if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string)
      cache.set(text, v)
    }
    return v
  }
}

/** The argument's current text: the constant, or the macro expanded. */
export function argumentText (constant: string, macro: Macro | undefined, ctx: MatchContext): string {
  return macro === undefined ? constant : ctx.expand(macro)
}
