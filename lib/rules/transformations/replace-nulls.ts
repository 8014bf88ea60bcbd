import type { TransformFn } from '../model.js'

/** `replaceNulls`: every NUL byte becomes a space. */
export const replaceNulls: TransformFn = s => s.indexOf('\0') === -1 ? s : s.replaceAll('\0', ' ')
