import t from 'tap'
import { readFile, mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { clusterWorkerId, firstExternalIPv4, packageVersion } from '../../../lib/heartbeat/identity.js'

t.test('the edition is this package version, found from the module directory', async t => {
  const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
  t.equal(await packageVersion(), pkg.version)
})

t.test('a package.json of another package is skipped on the way up; none at all is a clear error', async t => {
  const dir = t.testdir({ 'package.json': JSON.stringify({ name: 'fastify-waflog', version: '9.9.9' }), a: { 'package.json': JSON.stringify({ name: 'other', version: '1.0.0' }), b: {} } })
  t.equal(await packageVersion(path.join(dir, 'a', 'b')), '9.9.9')
  const lone = path.join(t.testdirName, 'lone')
  await mkdir(lone)
  await writeFile(path.join(lone, 'package.json'), '{not json')
  // Walks up to / without finding the package: the error names the fix.
  await t.rejects(packageVersion('/proc/self'), /option "edition"/)
})

t.test('the first non-internal IPv4, in interface order', async t => {
  const lo = { address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4' as const, mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }
  const v6 = { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6' as const, mac: '02:00:00:00:00:01', internal: false, cidr: 'fe80::1/64', scopeid: 2 }
  const eth = { address: '10.0.0.5', netmask: '255.255.255.0', family: 'IPv4' as const, mac: '02:00:00:00:00:01', internal: false, cidr: '10.0.0.5/24' }
  t.equal(firstExternalIPv4({ lo: [lo], eth0: [v6, eth], eth1: [{ ...eth, address: '10.0.1.5' }] }), '10.0.0.5')
  t.equal(firstExternalIPv4({ lo: [lo], eth0: [v6] }), undefined)
  t.equal(firstExternalIPv4({}), undefined)
})

t.test('outside a cluster the worker id is 0', async t => {
  t.equal(clusterWorkerId(), 0)
})
