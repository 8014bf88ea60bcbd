/**
 * `@validateByteRange 1-255` / `9,10,13,32-126`: matches when the value holds a byte outside
 * the listed ranges. Values are byte strings (see ../../regex.ts), one char per byte.
 */
export function compileValidateByteRange (argument: string): (value: string) => boolean {
  const allowed = new Uint8Array(256)
  for (const part of argument.split(',')) {
    const p = part.trim()
    if (p.length === 0) continue
    const m = /^(\d{1,3})(?:\s*-\s*(\d{1,3}))?$/.exec(p)
    if (m === null) throw new Error(`invalid byte range "${p}"`)
    const from = Number(m[1])
    const to = m[2] === undefined ? from : Number(m[2])
    if (from > 255 || to > 255 || to < from) throw new Error(`invalid byte range "${p}"`)
    for (let b = from; b <= to; b++) allowed[b] = 1
  }
  return (value: string): boolean => {
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i)
      if (c > 255 || allowed[c] === 0) return true
    }
    return false
  }
}
