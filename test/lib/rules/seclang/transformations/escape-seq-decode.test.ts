import t from 'tap'
import { escapeSeqDecode } from '../../../../../lib/rules/seclang/transformations/escape-seq-decode.js'

t.test('escapeSeqDecode', async t => {
  t.equal(escapeSeqDecode('a\\nb\\tc\\\\d\\"e\\\'f\\?'), 'a\nb\tc\\d"e\'f?')
  t.equal(escapeSeqDecode('\\x41\\x4a\\X4b'), 'AJK')
  t.equal(escapeSeqDecode('\\x4'), 'x4', 'a short \\x escape loses its backslash, like any unknown one')
  t.equal(escapeSeqDecode('\\xzz'), 'xzz')
  t.equal(escapeSeqDecode('\\101\\0\\7777'), 'A\x00\xff7', 'octal: at most three digits, kept to a byte')
  t.equal(escapeSeqDecode('\\q\\'), 'q\\', 'unknown escapes drop the backslash; a trailing one stays')
  t.equal(escapeSeqDecode('plain'), 'plain')
})
