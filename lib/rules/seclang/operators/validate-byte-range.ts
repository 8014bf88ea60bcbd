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

/** An RE2 class matching every byte outside the ranges: a prefilter for the operator. */
export function byteRangePrefilter (argument: string): string {
  const allowed = new Uint8Array(256)
  const check = compileValidateByteRange(argument)
  for (let b = 0; b < 256; b++) allowed[b] = check(String.fromCharCode(b)) ? 0 : 1
  let cls = ''
  for (let b = 0; b < 256; b++) {
    if (allowed[b] === 1) continue
    let e = b
    while (e + 1 < 256 && allowed[e + 1] === 0) e++
    cls += e === b ? `\\x{${b.toString(16)}}` : `\\x{${b.toString(16)}}-\\x{${e.toString(16)}}`
    b = e
  }
  // Every byte allowed: nothing can match; a class that never matches says so.
  return cls.length === 0 ? '[^\\x{0}-\\x{10ffff}]' : `[${cls}]`
}
