import { accessSync, constants, statSync } from 'node:fs'
import path from 'node:path'

/**
 * Why a file channel could not write `file`, or undefined when it can: the file is writable, or
 * it does not exist and its directory is. The file is not created: it is opened at the first write.
 * (A process running as root passes the permission checks whatever the mode bits say, as it
 * would pass them when it writes.)
 */
export function fileUnwritable (file: string): string | undefined {
  const st = statOf(file)
  if (typeof st === 'string') return st
  if (st !== undefined) {
    if (st.isDirectory()) return `${file} is a directory`
    return accessProblem(file, constants.W_OK, `${file} is not writable`)
  }
  const dir = path.dirname(file)
  const ds = statOf(dir)
  if (typeof ds === 'string') return ds
  if (ds === undefined) return `the directory ${dir} does not exist`
  if (!ds.isDirectory()) return `${dir} is not a directory`
  return accessProblem(dir, constants.W_OK | constants.X_OK, `the directory ${dir} is not writable`)
}

/** The stat, undefined when nothing is at `p`, or why `p` cannot be looked at. */
function statOf (p: string): ReturnType<typeof statSync> | string | undefined {
  try {
    return statSync(p)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    if (code === 'ENOTDIR') return `${notDirectory(p)} is not a directory`
    return `${p} cannot be looked at (${code ?? (err as Error).message})`
  }
}

/** The nearest ancestor of `p` that exists: under ENOTDIR, a file where a directory should be. */
function notDirectory (p: string): string {
  let up = path.dirname(p)
  while (up !== path.dirname(up)) {
    try {
      statSync(up)
      return up
    } catch {
      up = path.dirname(up)
    }
  }
  return up
}

function accessProblem (p: string, mode: number, what: string): string | undefined {
  try {
    accessSync(p, mode)
    return undefined
  } catch (err) {
    return `${what} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`
  }
}
