import t from 'tap'
import { join } from 'node:path'
import { readPhraseFiles } from '../../../../../lib/rules/seclang/operators/pm-from-file.js'

t.test('phrases come from files beside the rule file; comments and blanks skipped', async t => {
  const dir = t.testdir({ 'a.data': '# comment\n/etc/passwd\n\n  .htaccess  \r\n', 'sub': { 'b.data': 'é\n' } })
  const rule = join(dir, 'RULES.conf')
  t.same(readPhraseFiles('a.data sub/b.data', rule), ['/etc/passwd', '.htaccess', '\xc3\xa9'])
  t.same(readPhraseFiles(join(dir, 'a.data'), '/elsewhere/x.conf'), ['/etc/passwd', '.htaccess'])
  t.throws(() => readPhraseFiles('missing.data', rule), /cannot read .*missing\.data: ENOENT/)
  t.throws(() => readPhraseFiles('https://example.com/x.data', rule), /not fetched/)
  t.throws(() => readPhraseFiles('  ', rule), /no file given/)
})
