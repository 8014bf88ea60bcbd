import t from 'tap'
import { existsSync, statSync } from 'node:fs'
import { dirname, join, normalize, relative, sep } from 'node:path'
import { docFiles, fencedBlocks, headingAnchors, prose, readDoc, REPO_ROOT } from '../helpers/markdown.js'

/**
 * The docs stand alone: every relative link in README.md and docs/*.md names a file of the
 * repository that exists (never a path outside it), and every #anchor a heading of that file.
 * Links to the web (standards, nginx, httpd) are references and are not followed.
 */

const LINK = /\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g

t.test('every relative link resolves inside the repository', async t => {
  const anchorsOf = new Map<string, Set<string>>()
  const anchors = (file: string): Set<string> => {
    let a = anchorsOf.get(file)
    if (a === undefined) { a = headingAnchors(readDoc(file)); anchorsOf.set(file, a) }
    return a
  }
  let checked = 0
  for (const file of docFiles()) {
    const text = prose(readDoc(file))
    for (const [lineIndex, line] of text.split('\n').entries()) {
      for (const m of line.matchAll(LINK)) {
        const target = m[1] ?? ''
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue   // https:, mailto:
        const where = `${file}:${lineIndex + 1}: ${target}`
        const [path = '', anchor] = target.split('#', 2)
        const resolved = path === '' ? file : normalize(join(dirname(file), decodeURIComponent(path)))
        t.notOk(resolved.startsWith('..') || resolved.startsWith(sep), `${where}: stays inside the repository`)
        const absolute = join(REPO_ROOT, resolved)
        if (!existsSync(absolute)) { t.fail(`${where}: ${relative(REPO_ROOT, absolute)} does not exist`); continue }
        if (anchor !== undefined && anchor !== '') {
          if (!resolved.endsWith('.md') || statSync(absolute).isDirectory()) t.fail(`${where}: an anchor into a file that is not markdown`)
          else t.ok(anchors(resolved).has(anchor), `${where}: the anchor is a heading of ${resolved}`)
        }
        checked++
      }
    }
  }
  t.ok(checked > 20, `${checked} relative links checked`)
})

t.test('no doc names the shared design file or material outside the repository', async t => {
  for (const file of docFiles()) {
    const text = readDoc(file)
    t.notMatch(text, /DESIGN\.md/, `${file} does not mention DESIGN.md, which users do not have`)
  }
})

t.test('every code fence is closed, and no fence opens inside another block (a stray fence)', async t => {
  for (const file of docFiles()) {
    const blocks = fencedBlocks(file, readDoc(file))
    const bad = blocks.filter(b => !b.closed || /^ {0,3}(```|~~~)/m.test(b.code)).map(b => `${file}:${b.line}`)
    t.same(bad, [], `${file}: ${blocks.length} fenced blocks, each closed, none holding a fence`)
  }
})
