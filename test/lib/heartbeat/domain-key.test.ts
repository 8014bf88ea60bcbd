import t from 'tap'
import { isCountableDomain, MAX_DOMAIN_LENGTH } from '../../../lib/heartbeat/domain-key.js'
import { domainOf } from '../../../lib/lifecycle/context.js'

t.test('host names and IP literals get a key of their own', async t => {
  for (const d of ['shop.example', 'a', 'x-1.example.co.uk', '127.0.0.1', '[::1]', '[2001:db8::1]', 'under_score.example', 'localhost']) {
    t.ok(isCountableDomain(d), d)
  }
  t.ok(isCountableDomain('a'.repeat(MAX_DOMAIN_LENGTH)))
})

t.test('hostile or odd Host values share the _invalid bucket', async t => {
  const bad = ['', 'a'.repeat(MAX_DOMAIN_LENGTH + 1), '_other', '_invalid', '__proto__', 'a b', 'a|b', 'a%0ab', 'a\u0000b',
    'caf\u00e9.example', 'a/b', 'a\\b', '[::1', '[zz::1]', '[]', 'a"b', 'a\nb', 'Shop.example' /* not lowercased */]
  for (const d of bad) t.notOk(isCountableDomain(d), JSON.stringify(d))
})

t.test('domainOf output for ordinary hosts is countable', async t => {
  for (const h of ['Shop.Example:8080', 'LOCALHOST', '[::1]:3000', '10.0.0.1:80']) {
    t.ok(isCountableDomain(domainOf(h)), h)
  }
})
