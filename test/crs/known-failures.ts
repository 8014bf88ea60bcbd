import { readFileSync } from 'node:fs'

/**
 * KNOWN_FAILURES.md: a Markdown table whose rows are `| 930110-11 | reason |`. The runner
 * checks it both ways: every failing test must be listed (with its reason), and every listed
 * test must still fail, so the list never hides a regression nor outlives a fix.
 */
export function readKnownFailures (path: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^\|\s*(\d+-\d+)\s*\|\s*(.*?)\s*\|\s*$/.exec(line)
    if (m === null) continue
    if (out.has(m[1]!)) throw new Error(`${path}: ${m[1]} is listed twice`)
    if (m[2]!.length === 0) throw new Error(`${path}: ${m[1]} has no reason`)
    out.set(m[1]!, m[2]!)
  }
  return out
}
