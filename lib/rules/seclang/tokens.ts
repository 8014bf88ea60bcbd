/**
 * Splits one logical line into its words as Apache's `ap_getword_conf` does: words are
 * separated by blanks; a word may be double- or single-quoted, and inside quotes a backslash
 * before the quote character escapes it. Every other backslash is kept (as libmodsecurity and
 * Coraza do), so regular expressions pass through untouched; a doubled backslash is kept as
 * two and does not escape a following quote, so `"@rx a\\"` ends at that quote.
 */
export function splitWords (line: string): { words: string[], error?: string } {
  const words: string[] = []
  let i = 0
  const n = line.length
  while (i < n) {
    while (i < n && isBlank(line.charCodeAt(i))) i++
    if (i >= n) break
    const q = line[i]
    if (q === '"' || q === "'") {
      let word = ''
      let j = i + 1
      let closed = false
      while (j < n) {
        const c = line[j]
        if (c === '\\' && j + 1 < n && line[j + 1] === q) {
          word += q
          j += 2
          continue
        }
        if (c === '\\' && j + 1 < n && line[j + 1] === '\\') {
          word += '\\\\'
          j += 2
          continue
        }
        if (c === q) {
          closed = true
          j++
          break
        }
        word += c
        j++
      }
      if (!closed) return { words, error: `unterminated ${q === '"' ? 'double' : 'single'}-quoted argument` }
      words.push(word)
      i = j
    } else {
      let j = i
      while (j < n && !isBlank(line.charCodeAt(j))) j++
      words.push(line.slice(i, j))
      i = j
    }
  }
  return { words }
}

function isBlank (c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12
}
