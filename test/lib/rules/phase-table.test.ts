import t from 'tap'
import '../../../lib/rules/seclang/index.js'
import { compileRule, RuleEngine, RuleSetBuilder } from '../../../lib/rules/index.js'
import type { RequestInput, RuleSpec } from '../../../lib/rules/index.js'
import { isMarker } from '../../../lib/rules/ruleset.js'
import type { ExecRule, RuleSet } from '../../../lib/rules/ruleset.js'

function ruleSet (specs: RuleSpec[]): RuleSet {
  const b = new RuleSetBuilder()
  specs.forEach((s, i) => b.add(compileRule({ id: i + 1, phase: 1, disruptive: 'pass', ...s })))
  return b.build()
}

/** Each rule's target names in one phase's table. */
function targetsOf (set: RuleSet, phase: 1 | 2): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const it of set.phases[phase]?.items ?? []) {
    if (isMarker(it)) continue
    const x = it as ExecRule
    out[x.rule.id] = x.targets.map(t => `${t.spec.count === true ? '&' : ''}${t.col.name}${t.spec.key === undefined ? '' : `:${t.spec.key}`}`)
  }
  return out
}

const H = ['Host', 'shop.example']

t.test('phase 1 drops the targets only the body fills; the body twin reads them in phase 2', async t => {
  const set = ruleSet([
    { targets: ['ARGS', 'XML:/*', 'REQUEST_BODY_TEXT', 'REQUEST_HEADERS:User-Agent'], operator: { name: 'contains', argument: 'evil' }, alsoBody: true },
    { targets: ['XML:/*', 'REQUEST_BODY_TEXT'], operator: { name: 'contains', argument: 'evil' }, alsoBody: true },
    { targets: ['&XML', 'ARGS_POST'], operator: { name: 'eq', argument: '0' }, alsoBody: true },
    // Not alsoBody: left as written.
    { targets: ['XML:/*', 'ARGS'], operator: { name: 'contains', argument: 'evil' } }
  ])
  t.same(targetsOf(set, 1), {
    1: ['ARGS', 'REQUEST_HEADERS:user-agent'],
    3: ['&XML'],
    4: ['XML:/*', 'ARGS']
  }, 'rule 2 reads nothing before the body and is not in phase 1; &XML stays (its count can match)')
  t.same(targetsOf(set, 2), {
    1: ['ARGS_POST', 'XML:/*', 'REQUEST_BODY_TEXT'],
    2: ['XML:/*', 'REQUEST_BODY_TEXT'],
    3: ['&XML', 'ARGS_POST']
  })
  const e = new RuleEngine(set, { mode: 'detect' })
  const found = (input: RequestInput): string[] => e.check(input).matches.map(m => `${m.rule.id}@${m.location}`)
  t.same(found({ method: 'POST', url: '/', rawHeaders: [...H, 'Content-Type', 'text/plain'], body: { raw: 'an evil text' } }),
    ['3@&XML', '1@REQUEST_BODY_TEXT', '2@REQUEST_BODY_TEXT', '3@&XML'], 'a text/plain body is matched once, in phase 2')
  t.same(found({ method: 'POST', url: '/', rawHeaders: [...H, 'Content-Type', 'application/xml'], body: { raw: '<a>evil</a>' } }),
    ['3@&XML', '1@XML:/*', '2@XML:/*'], 'an XML body is matched once, in phase 2')
  t.same(found({ method: 'GET', url: '/?q=evil', rawHeaders: H }), ['1@ARGS:q', '3@&XML', '4@ARGS:q'])
})

t.test('a chained rule keeps a target, or is left as written', async t => {
  const link: RuleSpec = { targets: ['ARGS'], operator: { name: 'contains', argument: 'x' } }
  const set = ruleSet([
    { targets: ['XML:/*', 'ARGS'], operator: { name: 'contains', argument: 'x' }, alsoBody: true, chain: link },
    { targets: ['XML:/*'], operator: { name: 'contains', argument: 'x' }, alsoBody: true, chain: link }
  ])
  t.same(targetsOf(set, 1), { 1: ['ARGS'], 2: ['XML:/*'] })
})
