import type { TransformFn } from '../model.js'

const NEEDS = /\/\/|(?:^|\/)\.\.?(?:\/|$)/

/**
 * `normalizePath`: collapses repeated slashes and resolves `.` and `..` segments, so
 * `/a/./b/../c//d` gives `/a/c/d`. `..` never climbs above the root of an absolute path; at
 * the start of a relative path it is kept. A path ending in `/`, `/.` or `/..` keeps a
 * trailing slash.
 */
export function normalizePathOf (s: string): string {
  if (!NEEDS.test(s)) return s
  const absolute = s.charCodeAt(0) === 47
  const segments = s.split('/')
  const out: string[] = []
  let trailing = false
  for (let k = 0; k < segments.length; k++) {
    const seg = segments[k]
    const last = k === segments.length - 1
    if (seg === '' || seg === '.') {
      if (last) trailing = true
      continue
    }
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop()
      else if (!absolute) out.push('..')
      if (last) trailing = true
      continue
    }
    out.push(seg)
  }
  let path = (absolute ? '/' : '') + out.join('/')
  if (trailing && out.length > 0) path += '/'
  return path
}

export const normalizePath: TransformFn = normalizePathOf
