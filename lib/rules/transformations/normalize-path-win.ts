import type { TransformFn } from '../model.js'
import { normalizePathOf } from './normalize-path.js'

/** `normalizePathWin`: backslashes become slashes, then `normalizePath`. */
export const normalizePathWin: TransformFn = s => normalizePathOf(s.indexOf('\\') === -1 ? s : s.replaceAll('\\', '/'))
