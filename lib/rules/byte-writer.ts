/**
 * A reusable byte buffer for transformations that rebuild short values byte by byte: writing
 * bytes and reading them back as a latin1 string is several times quicker than regex
 * replacements or string concatenation for the short values requests are made of. Callers
 * fill `bytes(n)` synchronously and read the result with `text(len)` before anything else
 * writes.
 */
let buf = Buffer.allocUnsafe(1024)

/** The scratch buffer, at least `n` bytes long. */
export function bytes (n: number): Buffer {
  if (buf.length < n) buf = Buffer.allocUnsafe(Math.max(n, buf.length * 2))
  return buf
}

/** The first `len` bytes written, as a byte string. */
export function text (len: number): string {
  return buf.toString('latin1', 0, len)
}

/** Values longer than this go through the native-regex path: a JS loop per byte loses on long input. */
export const SHORT = 512
