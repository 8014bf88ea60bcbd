import type { OperatorFactory } from '../model.js'

/** `noMatch`: never matches. */
export const noMatch: OperatorFactory = argument => ({ name: 'noMatch', argument, match: () => false })
