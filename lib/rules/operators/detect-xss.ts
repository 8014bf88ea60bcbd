import type { OperatorFactory } from '../model.js'
import { detectXSSInByteString } from '../libinjection/index.js'
import { noArgument } from './no-argument.js'

/** `detectXSS`: libinjection's XSS detector on the value's bytes. As in ModSecurity, with `capture` the value goes to TX.0. */
// Shaped as detect-sqli.ts, but what goes to TX.0 differs (the value here, the fingerprint there), as in ModSecurity.
export const detectXSS: OperatorFactory = argument => {
  noArgument('detectXSS', argument)
  return {
    name: 'detectXSS',
    argument,
    match (value, ctx) {
      const memo = ctx.detections
      if (!(memo === undefined ? detectXSSInByteString(value) : memo.xss(value))) return false
      ctx.matched = value
      if (ctx.capture) ctx.setCapture(0, value)
      return true
    }
  }
}
