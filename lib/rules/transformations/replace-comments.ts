import type { TransformFn } from '../model.js'

/** `replaceComments`: every `/* … *\/` comment (or an unterminated `/*` to the end) becomes one space. */
export const replaceComments: TransformFn = s => {
  let i = s.indexOf('/*')
  if (i === -1) return s
  let out = ''
  let from = 0
  for (; i !== -1; i = s.indexOf('/*', from)) {
    const end = s.indexOf('*/', i + 2)
    out += s.slice(from, i) + ' '
    if (end === -1) return out
    from = end + 2
  }
  return out + s.slice(from)
}
