import type { OperatorFactory } from '../model.js'
import { detectSQLiInByteString } from '../libinjection/index.js'
import { noArgument } from './no-argument.js'

/**
 * `detectSQLi`: libinjection's SQLi detector on the value's bytes. As in ModSecurity, with
 * `capture` the fingerprint (`s&1c` ...) goes to TX.0, which CRS 942100's logdata shows.
 */
// Shaped as detect-xss.ts, but what goes to TX.0 differs (the fingerprint here, the value there), as in ModSecurity.
export const detectSQLi: OperatorFactory = argument => {
  noArgument('detectSQLi', argument)
  return {
    name: 'detectSQLi',
    argument,
    match (value, ctx) {
      const memo = ctx.detections
      const fingerprint = memo === undefined ? detectSQLiInByteString(value) : memo.sqli(value)
      if (fingerprint === null) return false
      ctx.matched = value
      if (ctx.capture) ctx.setCapture(0, fingerprint)
      return true
    }
  }
}
