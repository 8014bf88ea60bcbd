import t from 'tap'
import { PluginSwitch, pathOf, underPrefix, validateRouteToggles } from '../../../lib/lifecycle/switches.js'

t.test('underPrefix works on path segments', async t => {
  t.ok(underPrefix('/api', '/api'))
  t.ok(underPrefix('/api/x', '/api'))
  t.ok(underPrefix('/api?x=1', '/api'))
  t.notOk(underPrefix('/apix', '/api'))
  t.notOk(underPrefix('/ap', '/api'))
  t.ok(underPrefix('/api/x', '/api/'))
  t.notOk(underPrefix('/api', '/api/'), 'a prefix with a trailing slash needs the slash')
  t.ok(underPrefix('/anything', '/'))
})

t.test('pathOf cuts the query string', async t => {
  t.equal(pathOf('/a/b?x=1?y'), '/a/b')
  t.equal(pathOf('/a'), '/a')
  t.equal(pathOf('?q'), '')
})

t.test('include and exclude prefixes', async t => {
  const sw = new PluginSwitch('access', 'waf-access-log', { include: ['/api', '/admin'], exclude: ['/api/health'] })
  t.ok(sw.enabled('/api/users', '/api/users', undefined))
  t.ok(sw.enabled('/admin', '/admin', undefined))
  t.notOk(sw.enabled('/api/health', '/api/health', undefined))
  t.notOk(sw.enabled('/apix', '/apix', undefined))
  t.notOk(sw.enabled('/', '/', undefined))
  // No route matched (a 404): the request path decides.
  t.ok(sw.enabled(undefined, '/api/missing?x', undefined))
  t.notOk(sw.enabled(undefined, '/api/health/deep', undefined))
  const ex = new PluginSwitch('access', 'waf-access-log', { exclude: ['/static'] })
  t.notOk(ex.enabled(undefined, '/static/app.js', undefined))
  t.ok(ex.enabled(undefined, '/app', undefined))
})

t.test('route config turns plugins off', async t => {
  const sw = new PluginSwitch('rules', 'waf-rules', {})
  t.ok(sw.enabled('/x', '/x', undefined))
  t.notOk(sw.enabled('/x', '/x', false), 'config: { waf: false }')
  t.notOk(sw.enabled('/x', '/x', { rules: false }), 'config: { waf: { rules: false } }')
  t.ok(sw.enabled('/x', '/x', { access: false }), 'another plugin switched off')
  t.ok(sw.enabled('/x', '/x', { rules: true }))
  const prefixed = new PluginSwitch('rules', 'waf-rules', { include: ['/x'] })
  t.notOk(prefixed.enabled('/x', '/x', false), 'config wins over prefixes')
})

t.test('umbrella routes: the longest matching prefix decides, for this plugin only', async t => {
  const routes = validateRouteToggles('waf', [
    { prefix: '/', rules: true, access: true },
    { prefix: '/public', rules: false },
    { prefix: '/public/forms', rules: true },
    { prefix: '/internal', access: false }
  ])
  const rules = new PluginSwitch('rules', 'waf-rules', {}, routes)
  const access = new PluginSwitch('access', 'waf-access-log', {}, routes)
  t.ok(rules.enabled('/a', '/a', undefined))
  t.notOk(rules.enabled('/public/img', '/public/img', undefined))
  t.ok(rules.enabled('/public/forms/x', '/public/forms/x', undefined))
  t.ok(rules.enabled('/internal', '/internal', undefined), 'no rules row under /internal: the / row decides')
  t.notOk(access.enabled('/internal/x', '/internal/x', undefined))
  t.ok(access.enabled('/public/img', '/public/img', undefined))
})

t.test('parametric routes are decided by the request path; static ones are cached per route', async t => {
  const sw = new PluginSwitch('access', 'waf-access-log', { exclude: ['/users/admin'] })
  t.ok(sw.enabled('/users/:id', '/users/42', undefined))
  t.notOk(sw.enabled('/users/:id', '/users/admin', undefined), 'the path, not the pattern')
  t.notOk(sw.enabled('/files/*', '/users/admin/x', undefined))
  // A static route is decided once from its pattern: the cache answers later calls.
  t.ok(sw.enabled('/about', '/about', undefined))
  t.ok(sw.enabled('/about', '/users/admin', undefined), 'cached by route pattern')
})

t.test('validation names the owner and the option', async t => {
  t.throws(() => new PluginSwitch('access', 'waf-access-log', { include: ['api'] }), /waf-access-log: option "include" must be an array of path prefixes that start with "\/"/)
  t.throws(() => new PluginSwitch('access', 'waf-access-log', { exclude: '/x' as unknown as string[] }), /option "exclude"/)
  t.throws(() => validateRouteToggles('waf', {}), /waf: option "routes" must be an array/)
  t.throws(() => validateRouteToggles('waf', [null]), /option "routes\[0\]" must be an object/)
  t.throws(() => validateRouteToggles('waf', [{ prefix: 'x' }]), /option "routes\[0\]\.prefix" must be a path/)
  t.throws(() => validateRouteToggles('waf', [{ prefix: '/x', logs: true }]), /option "routes\[0\]\.logs" is unknown; expected one of forensic, rules, access, attack, heartbeat/)
  t.throws(() => validateRouteToggles('waf', [{ prefix: '/x', rules: 'no' }]), /option "routes\[0\]\.rules" must be a boolean/)
  t.same(validateRouteToggles('waf', undefined), [])
})

t.test('on wildcard routes a target decides as its path does, query string or not', async t => {
  // The switch matches prefixes against the whole target when no prefix holds a '?', and cuts
  // the path out first when one does: both ways must give the decision of the bare path.
  const targets = ['/', '/api', '/api?x=1', '/api/?x', '/api/health?deep=1', '/apix?y', '/a?b', '/a?bc', '/a', '/static/app.js?v=2', '/staticx', '/?q=/api']
  for (const include of [undefined, ['/api'], ['/a?b'], ['/api/', '/static']]) {
    for (const exclude of [undefined, ['/api/health'], ['/a?b']]) {
      for (const routes of [[], [{ prefix: '/api', access: false }], [{ prefix: '/', access: false }, { prefix: '/static', access: true }]]) {
        const sw = new PluginSwitch('access', 'waf-access-log', { include, exclude }, routes)
        const byPath = new PluginSwitch('access', 'waf-access-log', { include, exclude }, routes)
        for (const target of targets) {
          t.equal(sw.enabled('/*', target, undefined), byPath.enabled('/*', pathOf(target), undefined), `${JSON.stringify({ include, exclude, routes })} ${target}`)
        }
      }
    }
  }
})

t.test('a wildcard route is decided once when only "/" rows decide, and agrees with the path', async t => {
  const rows = validateRouteToggles('waf', [{ prefix: '/', forensic: false, access: true }])
  const paths = ['/', '/x', '/products?id=42', '/a/b/c', '/%2e%2e/etc']
  for (const key of ['forensic', 'access', 'heartbeat'] as const) {
    const sw = new PluginSwitch(key, 'waf', {}, rows)
    const once = sw.enabledOnRoute('/*', undefined)
    t.equal(once, key !== 'forensic', `${key}: decided on the route`)
    for (const p of paths) t.equal(sw.enabled('/*', p, undefined), once, `${key} ${p}: the path agrees`)
  }
  t.equal(new PluginSwitch('access', 'waf', {}, validateRouteToggles('waf', [{ prefix: '/', access: true }, { prefix: '/admin', access: false }])).enabledOnRoute('/*', undefined),
    undefined, 'a deeper prefix: the path decides')
  t.equal(new PluginSwitch('access', 'waf', { exclude: ['/'] }).enabledOnRoute('/*', undefined), undefined, 'include or exclude: the path decides')
  t.equal(new PluginSwitch('access', 'waf', {}, rows).enabledOnRoute(undefined, undefined), undefined, 'no route (a 404): the path decides')
})
