import type { TransformFn } from '../model.js'

const HIGH = /[\x80-\xff]/

function cont (s: string, i: number): number {
  const c = s.charCodeAt(i)
  return (c & 0xc0) === 0x80 ? c & 0x3f : -1
}

/**
 * `utf8toUnicode`: every valid UTF-8 sequence becomes `%uHHHH` (lowercase hex, at least four
 * digits), so `é` (C3 A9) gives `%u00e9`. ASCII and invalid bytes are kept.
 */
export const utf8toUnicode: TransformFn = s => {
  if (!HIGH.test(s)) return s
  let out = ''
  let from = 0
  const n = s.length
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) continue
    let cp = -1
    let len = 0
    if ((c & 0xe0) === 0xc0 && i + 1 < n) {
      const b = cont(s, i + 1)
      if (b >= 0) { cp = ((c & 0x1f) << 6) | b; len = 2 }
    } else if ((c & 0xf0) === 0xe0 && i + 2 < n) {
      const b = cont(s, i + 1)
      const d = cont(s, i + 2)
      if (b >= 0 && d >= 0) { cp = ((c & 0x0f) << 12) | (b << 6) | d; len = 3 }
    } else if ((c & 0xf8) === 0xf0 && i + 3 < n) {
      const b = cont(s, i + 1)
      const d = cont(s, i + 2)
      const e = cont(s, i + 3)
      if (b >= 0 && d >= 0 && e >= 0) { cp = ((c & 0x07) << 18) | (b << 12) | (d << 6) | e; len = 4 }
    }
    if (cp < 0) continue
    out += s.slice(from, i) + '%u' + cp.toString(16).padStart(4, '0')
    i += len - 1
    from = i + 1
  }
  return from === 0 ? s : out + s.slice(from)
}
