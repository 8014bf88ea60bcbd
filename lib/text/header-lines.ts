/** Reading the header block of an HTTP message (`name: value` lines ending in CRLF) in place. */

/**
 * One `name: value` line of a header block, as offsets into the block: `colon` is -1 for a line
 * without one, `value` is where the value starts (after the colon and any spaces or tabs).
 */
export interface HeaderLine { start: number, colon: number, value: number, end: number }

/**
 * Moves `line` to the header line after the CRLF at `at` (the status line's, then each
 * line's `end`). False at the blank line that ends the block, or where the block stops.
 */
export function nextHeaderLine (block: string, at: number, line: HeaderLine): boolean {
  const start = at + 2
  const end = block.indexOf('\r\n', start)
  if (end === -1 || end === start) return false
  line.start = start
  line.end = end
  const colon = block.indexOf(':', start)
  if (colon === -1 || colon >= end) {
    line.colon = -1
    return true
  }
  let v = colon + 1
  while (v < end && (block.charCodeAt(v) === 32 || block.charCodeAt(v) === 9)) v++
  line.colon = colon
  line.value = v
  return true
}
