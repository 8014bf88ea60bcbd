import t from 'tap'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readFtwTests } from './ftw-yaml.js'
import { buildFtwRequest } from './ftw-request.js'

const here = dirname(fileURLToPath(import.meta.url))
const tests = join(process.env.WAF_CORPUS ?? resolve(here, '../../../shared/corpus'), 'crs', 'tests')

t.test('a malformed test file names itself', async t => {
  const noId = t.testdir({ 'REQUEST-1-X': { '1.yaml': 'rule_id: 1\ntests:\n  - desc: no id\n' } })
  t.throws(() => readFtwTests(noId), /REQUEST-1-X\/1\.yaml: a test has no numeric test_id/)
  const bad = t.testdir({ 'REQUEST-2-Y': { '2.yaml': 'tests: [\n' } })
  t.throws(() => readFtwTests(bad), /REQUEST-2-Y\/2\.yaml: /)
})

if (!existsSync(tests)) {
  t.test('CRS go-ftw corpus', async t => { t.plan(0, `corpus absent: ${tests}`) })
} else {
  t.test('every CRS test reads and every request builds', async t => {
    const files = readFtwTests(tests)
    let stages = 0
    for (const f of files) for (const test of f.tests) for (const s of test.stages) { buildFtwRequest(s.input); stages++ }
    t.ok(files.length > 250, `${files.length} files`)
    t.ok(stages > 3000, `${stages} stages`)
    const lfi = files.find(f => f.ruleId === 930100)
    t.equal(lfi?.group, 'REQUEST-930-APPLICATION-ATTACK-LFI')
    t.equal(lfi?.tests[0]?.name, '930100-1')
  })
}
