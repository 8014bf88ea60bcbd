import t from 'tap'
import { AllowList } from '../../example-app/allow-list.js'

t.test('addresses and CIDR ranges, IPv4 seen as IPv4-mapped IPv6', async t => {
  const a = new AllowList(['127.0.0.1', '10.0.0.0/8', 'fd00::/8', '::1'], 'metrics.allow')
  for (const ok of ['127.0.0.1', '::ffff:127.0.0.1', '10.1.2.3', '::ffff:10.9.9.9', 'fd12::1', '::1']) t.ok(a.allows(ok), ok)
  for (const no of ['127.0.0.2', '11.0.0.1', 'fe80::1', '::2', undefined, 'localhost']) t.notOk(a.allows(no), String(no))
})

t.test('a bad entry is refused, naming the setting and the entry', async t => {
  for (const bad of ['localhost', '10.0.0.0/33', '10.0.0.0/', '::1/129', '1.2.3']) {
    t.throws(() => new AllowList([bad], 'status.allow'), { name: 'RangeError', message: new RegExp(`"status\\.allow": ${JSON.stringify(bad).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`) })
  }
})
