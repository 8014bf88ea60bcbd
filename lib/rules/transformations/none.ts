import type { TransformFn } from '../model.js'

/** `none`: no change. In a rule's list it also drops every transformation before it. */
export const none: TransformFn = s => s
