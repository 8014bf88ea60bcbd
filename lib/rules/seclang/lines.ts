/**
 * Splits a rule file into logical lines the way ModSecurity's configuration reader does:
 * each physical line is trimmed, a line ending in a backslash continues on the next one
 * (the backslash removed), and a logical line that starts with `#` is a comment. A backtick
 * on a line of its own opens and closes a multi-line block whose lines are kept verbatim
 * (Coraza's extension). Blank lines and comments are dropped.
 */
export interface LogicalLine {
  text: string
  /** 1-based number of the first physical line. */
  line: number
}

export function logicalLines (source: string): LogicalLine[] {
  const out: LogicalLine[] = []
  const physical = source.split(/\r?\n/)
  let buf = ''
  let start = 0
  let inBackticks = false
  for (let i = 0; i < physical.length; i++) {
    const line = physical[i]!.trim()
    if (buf.length === 0 && !inBackticks) start = i + 1
    if (inBackticks) {
      if (line === '`') {
        inBackticks = false
        continue
      }
      buf += line + '\n'
      continue
    }
    // A comment never opens a backtick block, even when it ends in one.
    if (line.endsWith('`') && countOf(line, '`') === 1 && !(buf.length === 0 ? line : buf).startsWith('#')) {
      buf += line.slice(0, -1)
      inBackticks = true
      continue
    }
    if (line.endsWith('\\')) {
      buf += line.slice(0, -1)
      continue
    }
    buf += line
    push(out, buf, start)
    buf = ''
  }
  if (buf.length > 0) push(out, buf, start)
  return out
}

function push (out: LogicalLine[], text: string, line: number): void {
  const t = text.trim()
  if (t.length === 0 || t.charCodeAt(0) === 35 /* # */) return
  out.push({ text: t, line })
}

function countOf (s: string, ch: string): number {
  let n = 0
  for (let i = s.indexOf(ch); i !== -1; i = s.indexOf(ch, i + 1)) n++
  return n
}
