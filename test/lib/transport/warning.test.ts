import t from 'tap'
import { SocketTransport } from '../../../lib/transport/transport.js'
import type { TransportWarning } from '../../../lib/transport/types.js'
import { freePort } from '../../helpers/ports.js'

/**
 * Lines lost and collectors away are reported whatever the app has set up: to `onWarning`, else
 * the logger, else as process warnings (which Node prints to stderr), at most one per channel per
 * `warnInterval`.
 */

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** Collects the process warnings of this transport's kind while `run` runs. */
async function processWarnings (run: () => Promise<void>): Promise<Error[]> {
  const seen: Error[] = []
  const listener = (w: Error): void => { if (w.name === 'WafLogWarning') seen.push(w) }
  process.on('warning', listener)
  try {
    await run()
    // emitWarning delivers on the next tick.
    await sleep(0)
  } finally {
    process.off('warning', listener)
  }
  return seen
}

const codeOf = (w: Error): string | undefined => (w as Error & { code?: string }).code

t.test('with no logger, an unreachable collector and dropped lines are process warnings', async t => {
  const port = await freePort()
  const url = `tcp://127.0.0.1:${port}`
  const warnings = await processWarnings(async () => {
    const tr = new SocketTransport({ warnInterval: 300, channels: { access: { url, flushInterval: 10, dropLimit: 64, timeout: 200, retry: { initialDelay: 10, maxDelay: 20 } } } })
    const ch = tr.channel('access')
    ch.log('first line')
    await sleep(100)
    for (let i = 0; i < 20; i++) ch.log('0123456789')
    await sleep(650)
    await tr.close(50)
  })
  t.ok(warnings.length >= 2 && warnings.length <= 5, `rate limited: ${warnings.length} warnings in ~750 ms at one per 300 ms`)
  const first = warnings[0]
  t.equal(codeOf(first as Error), 'WAFLOG_CHANNEL_ERROR', 'the first: the collector cannot be reached, nothing lost yet')
  t.match(first?.message, new RegExp(`^waf-socket: channel "access" \\(${url.replace(/\./g, '\\.')}\\): \\d+ error\\(s\\), last: .*ECONNREFUSED`))
  const drops = warnings.filter(w => codeOf(w) === 'WAFLOG_DROP')
  t.ok(drops.length >= 1, 'then the lines dropped past dropLimit')
  t.ok(drops.every(w => /\d+ line\(s\) dropped/.test(w.message)), 'with their count')
})

t.test('onWarning gets every warning, as data, instead of the logger', async t => {
  const port = await freePort()
  const got: TransportWarning[] = []
  const logged: string[] = []
  const warnings = await processWarnings(async () => {
    const tr = new SocketTransport({
      warnInterval: 0,
      logger: { warn: (_o, msg) => { logged.push(msg) } },
      onWarning: w => { got.push(w) },
      channels: { udp: { url: `udp://127.0.0.1:${port}`, maxDatagram: 16 } }
    })
    tr.channel('udp').log('a line far longer than sixteen bytes')
    await sleep(20)
    await tr.close(50)
  })
  t.equal(got.length, 1)
  t.match(got[0], { code: 'WAFLOG_DROP', channel: 'udp', url: `udp://127.0.0.1:${port}`, errors: 0, dropped: { overflow: 0, oversize: 1, closed: 0 } })
  t.equal(got[0]?.stats.dropped.oversize, 1, 'with the channel stats')
  t.same(logged, [], 'the logger is not used')
  t.same(warnings, [], 'nor process warnings')
})

t.test('the logger gets them when there is no onWarning; an onWarning that throws falls back to a process warning', async t => {
  const port = await freePort()
  const logged: Array<{ obj: object, msg: string }> = []
  const tr = new SocketTransport({ warnInterval: 0, logger: { warn: (obj, msg) => { logged.push({ obj, msg }) } }, channels: { u: { url: `udp://127.0.0.1:${port}`, maxDatagram: 8 } } })
  tr.channel('u').log('too long for eight')
  await sleep(20)
  await tr.close(50)
  t.equal(logged.length, 1)
  t.match(logged[0], { obj: { channel: 'u', dropped: { oversize: 1 } }, msg: /channel "u" .*1 line\(s\) dropped/ })

  const warnings = await processWarnings(async () => {
    const tr2 = new SocketTransport({ warnInterval: 0, onWarning: () => { throw new Error('sink down') }, channels: { u: { url: `udp://127.0.0.1:${port}`, maxDatagram: 8 } } })
    t.equal(tr2.channel('u').log('too long for eight'), false, 'log() still returns, without throwing')
    await sleep(20)
    await tr2.close(50)
  })
  t.equal(warnings.length, 1)
  t.equal(codeOf(warnings[0] as Error), 'WAFLOG_DROP')
})

t.test('onWarning must be a function', async t => {
  t.throws(() => new SocketTransport({ channels: {}, onWarning: 'stderr' as never }), /option "onWarning" must be a function/)
})
