import { describe, expect, test } from 'tstyche'
import Fastify from 'fastify'
import type {
  AccessRecord, AttackRecord, AttackRecordEntry, ForensicRecord, GraphiteRecord, HeartbeatRecord, HeartbeatReport,
  LogRecord, ModsecAuditRecord, WafStreams
} from 'fastify-waflog'

/** `app.wafLog` gives each stream's filters and listeners that stream's record type. */
const app = Fastify()

describe('the record types are exported from the package root', () => {
  test('with the fields of the wire formats', () => {
    expect<AccessRecord['type']>().type.toBe<'access'>()
    expect<AccessRecord['response']['status']>().type.toBe<number>()
    expect<AccessRecord['upstream']>().type.toBe<{ addr: string, status: number, response_time: number } | null>()
    expect<AttackRecord['type']>().type.toBe<'attack'>()
    expect<AttackRecordEntry['rule_id']>().type.toBe<string>()
    expect<ForensicRecord['phase']>().type.toBe<'+' | '-'>()
    expect<HeartbeatReport>().type.toBe<HeartbeatRecord | GraphiteRecord>()
    expect<WafStreams['attack']>().type.toBe<AttackRecord | ModsecAuditRecord>()
  })
  test('without an index signature, so a misspelt field does not pass as unknown', () => {
    expect<AccessRecord>().type.not.toHaveProperty('status')
    expect<AttackRecordEntry>().type.not.toHaveProperty('ruleId')
    expect<ForensicRecord>().type.not.toHaveProperty('time')
  })
})

describe('addFilter on a standard stream', () => {
  test('the docs example compiles: policy gets an AccessRecord', () => {
    app.wafLog.addFilter('access', {
      name: 'origs',
      channel: 'origs',
      writer: 'tsv',
      include: ['started_at', 'client_ip'],
      policy: rec => {
        expect(rec).type.toBe<AccessRecord>()
        return rec.response.status >= 400
      }
    })
  })
  test('path gets the record too', () => {
    app.wafLog.addFilter('access', { name: 'per-host', path: rec => `file:///var/log/waf/${rec.host}.log` })
    app.wafLog.addFilter('forensic', { name: 'plus', channel: 'forensic', writer: 'raw', policy: rec => rec.phase === '+' })
  })
  test('a field the record does not have is a compile error', () => {
    expect(app.wafLog.addFilter('access', { name: 'x', channel: 'c', policy: rec => rec.response.code >= 400 })).type.toRaiseError("Property 'code' does not exist")
    expect(app.wafLog.addFilter('access', { name: 'x', channel: 'c', policy: rec => rec.status >= 400 })).type.toRaiseError("Property 'status' does not exist")
    expect(app.wafLog.addFilter('forensic', { name: 'x', channel: 'c', policy: rec => rec.phase === '*' })).type.toRaiseError('no overlap')
  })
  test('a field of another stream\'s record is a compile error', () => {
    expect(app.wafLog.addFilter('attack', { name: 'x', channel: 'c', policy: rec => rec.response.status >= 400 })).type.toRaiseError("Property 'response' does not exist")
    expect(app.wafLog.addFilter('heartbeat', { name: 'x', channel: 'c', policy: rec => rec.attacks.length > 0 })).type.toRaiseError("Property 'attacks' does not exist")
  })
})

describe('onWrite on a standard stream', () => {
  test('the listener gets the stream\'s record type', () => {
    app.wafLog.onWrite('access', rec => {
      expect(rec).type.toBe<AccessRecord>()
    })
    app.wafLog.onWrite('forensic', rec => {
      expect(rec).type.toBe<ForensicRecord>()
    })
  })
  test('the attack stream\'s two record types narrow with "transaction" in rec', () => {
    app.wafLog.onWrite('attack', rec => {
      expect(rec).type.toBe<AttackRecord | ModsecAuditRecord>()
      if ('transaction' in rec) expect(rec).type.toBe<ModsecAuditRecord>()
      else expect(rec.attacks).type.toBe<AttackRecordEntry[]>()
    })
  })
  test('the heartbeat stream\'s two record types narrow with "line" in rec', () => {
    app.wafLog.onWrite('heartbeat', rec => {
      if ('line' in rec) expect(rec.line).type.toBe<string>()
      else expect(rec.domain_num).type.toBe<number>()
    })
  })
  test('a field the record does not have is a compile error', () => {
    expect(app.wafLog.onWrite('access', rec => rec.latencies.upstream)).type.toRaiseError("Property 'upstream' does not exist")
  })
})

describe('a stream of the app\'s own', () => {
  test('carries LogRecord', () => {
    app.wafLog.onWrite('mine', rec => {
      expect(rec).type.toBe<LogRecord>()
    })
    app.wafLog.addFilter('mine', { name: 'x', channel: 'c', policy: rec => rec.anything !== undefined })
  })
})
