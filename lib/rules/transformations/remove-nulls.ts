import type { TransformFn } from '../model.js'

/** `removeNulls`: drops every NUL byte. */
export const removeNulls: TransformFn = s => s.indexOf('\0') === -1 ? s : s.replaceAll('\0', '')
