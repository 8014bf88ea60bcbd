import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository's root, and the markdown files users read: README.md and docs/*.md. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

export function docFiles (): string[] {
  const docs = readdirSync(join(REPO_ROOT, 'docs')).filter(f => f.endsWith('.md')).sort().map(f => `docs/${f}`)
  return ['README.md', ...docs]
}

export function readDoc (file: string): string {
  return readFileSync(join(REPO_ROOT, file), 'utf8')
}

export interface FencedBlock {
  file: string
  line: number          // 1-based line of the opening fence
  info: string          // the info string after the fence: "ts", "ts fragment", "sh" …
  code: string
  closed: boolean       // false: no closing fence before the end of the file
}

/** Every fenced code block (``` or ~~~, three or more), with its info string and the line it opens on. */
export function fencedBlocks (file: string, text: string): FencedBlock[] {
  const lines = text.split('\n')
  const blocks: FencedBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^( {0,3})(`{3,}|~{3,})(.*)$/.exec(lines[i] ?? '')
    if (open === null) continue
    const fence = open[2] ?? ''
    const info = (open[3] ?? '').trim()
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length; j++) {
      const line = lines[j] ?? ''
      if (line.trimStart().startsWith(fence[0]!.repeat(fence.length)) && line.trim().replace(new RegExp(`^\\${fence[0]}+`), '') === '') break
      body.push(line)
    }
    blocks.push({ file, line: i + 1, info, code: body.join('\n'), closed: j < lines.length })
    i = j
  }
  return blocks
}

/** The text outside fenced blocks, with each fenced line replaced by an empty one (line numbers kept). */
export function prose (text: string): string {
  const lines = text.split('\n')
  let fence: string | null = null
  return lines.map(line => {
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(line)
    if (fence === null && m !== null) { fence = m[1] ?? null; return '' }
    if (fence !== null) {
      if (line.trim().startsWith(fence) && line.trim().replace(/^[`~]+/, '') === '') fence = null
      return ''
    }
    return line
  }).join('\n')
}

/** GitHub's heading anchors: lowercased, punctuation but '-' and '_' removed, spaces to '-', repeats numbered. */
export function headingAnchors (text: string): Set<string> {
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  for (const line of prose(text).split('\n')) {
    const m = /^#{1,6} (.*)$/.exec(line)
    if (m === null) continue
    const base = (m[1] ?? '').trim().toLowerCase().replace(/[^\p{L}\p{N}\- _]/gu, '').replace(/ /g, '-')
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    anchors.add(n === 0 ? base : `${base}-${n}`)
  }
  return anchors
}
