import { describe, expect, test } from 'tstyche'
import Fastify from 'fastify'
import waf, { wafTransport, wafSocket, wafForensic, wafRules, wafAccessLog, wafAttackLog, wafHeartbeat, wafServerOptions } from 'fastify-waflog'
import type { WafOptions, WafContext, ChannelStats, WafMode, WafSocketOptions, WafTransportOptions } from 'fastify-waflog'

describe('the umbrella options', () => {
  test('accept every section, or false to leave a plugin out', () => {
    expect<WafOptions>().type.toBeAssignableFrom({ transport: { channels: { access: 'stdout:' } }, forensic: false as const, rules: false as const })
    expect<WafOptions>().type.toBeAssignableFrom({ transport: { channels: {} }, rules: { mode: 'detect' as const } })
  })
  test('reject what is not an option', () => {
    expect<WafOptions>().type.not.toBeAssignableFrom({ channels: {} })
    expect<WafOptions>().type.not.toBeAssignableFrom({ transport: { channels: {} }, rules: { mode: 'loud' } })
    expect<WafOptions>().type.not.toBeAssignableFrom({ transport: { channels: {} }, forensic: { onWriteFailure: 'retry' } })
    expect<WafOptions>().type.not.toBeAssignableFrom({ transport: { channels: {} }, heartbeat: { format: 'xml' } })
  })
})

describe('decorators and the request context', () => {
  const app = Fastify()
  test('are typed on the instance', () => {
    expect(app.wafTransport.stats()).type.toBe<Record<string, ChannelStats>>()
    expect(app.wafTransport.channel('access').log('x')).type.toBe<boolean>()
    expect(app.wafLog.write('access', {})).type.toBe<boolean>()
  })
  test('request.waf is a WafContext or null (routes no waf plugin covers), narrowed without casts', () => {
    app.get('/', async request => {
      expect(request.waf).type.toBe<WafContext | null>()
      expect(request.waf.id).type.toRaiseError('possibly \'null\'')
      if (request.waf !== null) {
        expect(request.waf.policy.mode).type.toBe<WafMode>()
        expect(request.waf.action).type.toBe<'pass' | 'log' | 'deny'>()
      }
      expect(request.waf?.id).type.toBe<string | undefined>()
      return 'ok'
    })
  })
  test('route config takes waf switches', () => {
    expect(app.get).type.toBeCallableWith('/', { config: { waf: false } }, async () => 'ok')
    expect(app.get).type.toBeCallableWith('/', { config: { waf: { rules: false } } }, async () => 'ok')
  })
})

describe('each plugin is registrable on its own', () => {
  const app = Fastify()
  test('with its options', () => {
    expect(app.register).type.toBeCallableWith(wafTransport, { channels: { access: 'stdout:' } })
    expect(app.register).type.toBeCallableWith(wafSocket, { channels: { access: 'stdout:' } })
    expect(app.register).type.toBeCallableWith(wafForensic, { redact: [] })
    expect(app.register).type.toBeCallableWith(wafRules, { mode: 'block' })
    expect(app.register).type.toBeCallableWith(wafAccessLog, { format: 'combined' })
    expect(app.register).type.toBeCallableWith(wafAttackLog, {})
    expect(app.register).type.toBeCallableWith(wafHeartbeat, { interval: 1000 })
    expect(app.register).type.toBeCallableWith(waf, { transport: { channels: {} } })
  })
})

describe('the transport under one name, its earlier one kept', () => {
  test('wafTransport is wafSocket, WafTransportOptions is WafSocketOptions', () => {
    expect(wafTransport).type.toBe(wafSocket)
    expect<WafTransportOptions>().type.toBe<WafSocketOptions>()
  })
})

describe('wafServerOptions() spreads into every kind of server Fastify makes', () => {
  test('HTTP, HTTPS, HTTP/2 (h2c) and HTTP/2 over TLS', () => {
    expect(Fastify).type.toBeCallableWith({ ...wafServerOptions() })
    expect(Fastify).type.toBeCallableWith({ https: { key: 'k', cert: 'c' }, ...wafServerOptions() })
    expect(Fastify).type.toBeCallableWith({ http2: true as const, ...wafServerOptions() })
    expect(Fastify).type.toBeCallableWith({ http2: true as const, https: { key: 'k', cert: 'c', allowHTTP1: true }, ...wafServerOptions() })
  })
})
