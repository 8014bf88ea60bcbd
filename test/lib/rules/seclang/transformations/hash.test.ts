import t from 'tap'
import { sha1 } from '../../../../../lib/rules/seclang/transformations/sha1.js'
import { hexEncode } from '../../../../../lib/rules/seclang/transformations/hex-encode.js'

t.test('sha1 gives the binary digest; hexEncode shows it', async t => {
  t.equal(sha1('abc').length, 20)
  t.equal(hexEncode(sha1('abc')), 'a9993e364706816aba3e25717850c26c9cd0d89d')
  t.equal(hexEncode('\x00\xff A'), '00ff2041')
  t.equal(hexEncode(''), '')
})
