import cluster from 'node:cluster'
import type { Worker } from 'node:cluster'
import { mkdirSync } from 'node:fs'
import pino from 'pino'
import type { Logger } from 'pino'
import { family, lasting } from '../lib/metrics/families.js'
import type { MetricFamily } from '../lib/metrics/families.js'
import { banner } from './banner.js'
import { isToPrimary } from './cluster-messages.js'
import type { ToPrimary, ToWorker } from './cluster-messages.js'
import { ConfigError, loadConfig } from './config.js'
import type { GatewayConfig } from './config.js'
import { exposition, sumFamilies } from './prometheus.js'
import { startDemoUpstream } from './upstream.js'
import { CLOSE_DEADLINE_MS } from './worker.js'

/**
 * The gateway's primary process. It never serves a request itself: it runs `workers` node:cluster
 * workers (one by default), all of one configuration at a time (a generation), and
 *
 * - on SIGHUP loads the configuration again and starts a new generation beside the running one.
 *   Its workers build the gateway (rules compiled, channels opened) and report; only when all of
 *   them are built are they told to listen, and only when all of them listen are the old workers
 *   told to drain (stop accepting, finish in-flight requests, drain their channels, send a final
 *   heartbeat, exit). The listening socket belongs to the primary and is shared, so the new
 *   workers take connections while the old ones finish theirs: no request fails. A configuration
 *   that does not load, or a worker that cannot build or listen, is reported on stderr and at warn
 *   level, the new workers are stopped, and the old generation goes on serving;
 * - on SIGUSR1 tells every worker to reopen its `file://` channels (logrotate's postrotate);
 * - answers /metrics scrapes that reach any worker with every worker's metrics summed, plus the
 *   counters of workers that exited (kept, so counters survive a reload);
 * - on SIGTERM/SIGINT drains every worker and exits.
 */

/** How long a new generation may take to build and listen (the OWASP CRS compiles in seconds). */
const START_TIMEOUT_MS = 120_000
/** How long a scrape waits for one worker's families. */
const COLLECT_TIMEOUT_MS = 2_000
/** A replacement for a dead worker that fails again is retried after this long. */
const RESPAWN_DELAY_MS = 1_000
/** Compact the exited workers' families once this many lists are kept. */
const RETIRED_COMPACT_AT = 8

type State = 'starting' | 'ready' | 'listening' | 'draining'

class Deferred<T> {
  readonly promise: Promise<T>
  resolve!: (v: T) => void
  reject!: (err: Error) => void
  constructor () {
    this.promise = new Promise<T>((resolve, reject) => { this.resolve = resolve; this.reject = reject })
    // A rejection nobody waits for (a replacement worker) is handled where it happens.
    this.promise.catch(() => {})
  }
}

interface Member {
  worker: Worker
  gen: Generation
  state: State
  ready: Deferred<void>
  listening: Deferred<number>
  /** Its final families arrived: what it answers to a collection from now on is already counted. */
  retired: boolean
}

interface Generation {
  id: number
  config: GatewayConfig
  upstream: string
  demo: boolean
  /** Every worker of it was told to listen: a replacement worker listens as soon as it is built. */
  live: boolean
  port: number
  /** Its rules summary was printed. */
  rulesShown?: boolean
}

export class Supervisor {
  private readonly members = new Map<number, Member>()
  private current: Generation | undefined
  private generations = 0
  private reloading = false
  private reloadAgain = false
  private shuttingDown = false
  private demo: { url: string, stop: () => void } | undefined
  private readonly log: Logger = pino({ level: 'warn', base: { pid: process.pid, name: 'fastify-waflog-primary' } })
  private readonly reloads = { ok: 0, failed: 0 }
  private readonly retired: MetricFamily[][] = []
  private compacting: Promise<void> | undefined
  private collectSeq = 0
  private readonly collects = new Map<string, (families: MetricFamily[] | undefined) => void>()

  constructor (private readonly env: NodeJS.ProcessEnv = process.env, private readonly cwd: string = process.cwd()) {
    cluster.setupPrimary({ serialization: 'advanced' })
    cluster.on('message', (worker, m: unknown) => { if (isToPrimary(m)) this.onMessage(worker, m) })
    cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal))
    // At once: until a listener is there, SIGHUP kills the process and SIGUSR1 starts Node's inspector.
    process.on('SIGHUP', () => { void this.reload() })
    process.on('SIGUSR1', () => this.reopen())
    process.on('SIGTERM', () => this.shutdown())
    process.on('SIGINT', () => this.shutdown())
  }

  /** Starts the first generation; exits with 1 and the reason when it cannot. */
  async start (config: GatewayConfig): Promise<void> {
    let gen: Generation
    try {
      gen = await this.startGeneration(config)
    } catch (err) {
      process.stderr.write(`fastify-waflog gateway: ${(err as Error).message}\n`)
      this.stopAll()
      await this.allExited()
      this.demo?.stop()
      process.exit(1)
    }
    this.current = gen
    process.stdout.write(banner(gen.config, gen.port, gen.upstream, gen.demo))
  }

  /** SIGHUP: a new generation from the configuration as it is now, or the reason it stays as it is. */
  async reload (): Promise<void> {
    if (this.shuttingDown || this.current === undefined) return
    if (this.reloading) {
      // A SIGHUP during a reload: one more reload once this one is done, with the file as it is then.
      this.reloadAgain = true
      return
    }
    this.reloading = true
    const old = this.current
    try {
      let config: GatewayConfig
      try {
        const loaded = loadConfig(this.env, this.cwd)
        for (const w of loaded.warnings) process.stderr.write(`fastify-waflog gateway: ${w}\n`)
        config = loaded.config
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err
        this.refused(old, err.message)
        return
      }
      let gen: Generation
      try {
        gen = await this.startGeneration(config)
      } catch (err) {
        if (!this.shuttingDown) this.refused(old, (err as Error).message)
        return
      }
      if (this.shuttingDown) return
      this.current = gen
      this.stopGeneration(old.id)
      this.reloads.ok++
      process.stdout.write(`fastify-waflog gateway: reloaded ${config.source}: generation ${gen.id}, ${config.workers} worker${config.workers === 1 ? '' : 's'} listening on port ${gen.port}; the workers of generation ${old.id} are draining\n`)
    } finally {
      this.reloading = false
      if (this.reloadAgain) {
        this.reloadAgain = false
        void this.reload()
      }
    }
  }

  private refused (old: Generation, message: string): void {
    this.reloads.failed++
    process.stderr.write(`fastify-waflog gateway: reload refused: ${message}\nfastify-waflog gateway: still serving generation ${old.id} (${old.config.source})\n`)
    this.log.warn({ reason: message, generation: old.id, config: old.config.source }, 'reload refused; the running configuration keeps serving')
  }

  /** SIGUSR1: every worker reopens its log files. */
  reopen (): void {
    for (const m of this.members.values()) if (m.state !== 'starting') this.send(m.worker, { waf: 'reopen' })
  }

  shutdown (): void {
    if (this.shuttingDown) return
    this.shuttingDown = true
    // The workers' own deadline is their drainDelay plus CLOSE_DEADLINE_MS: this one comes after.
    const drainDelay = Math.max(0, ...[...this.members.values()].map(m => m.gen.config.edge.health?.drainDelay ?? 0))
    setTimeout(() => process.exit(1), drainDelay + CLOSE_DEADLINE_MS + 1000).unref()
    this.stopAll()
    void this.allExited().then(() => {
      this.demo?.stop()
      process.exit(0)
    })
  }

  private stopAll (): void {
    for (const m of this.members.values()) this.drain(m, 'shutdown')
  }

  private stopGeneration (id: number): void {
    for (const m of this.members.values()) if (m.gen.id === id) this.drain(m, 'replaced')
  }

  private drain (m: Member, why: 'replaced' | 'shutdown'): void {
    if (m.state === 'draining') return
    m.state = 'draining'
    this.send(m.worker, { waf: 'drain', why })
  }

  private async allExited (): Promise<void> {
    while (this.members.size > 0) await new Promise(resolve => setTimeout(resolve, 20))
  }

  private async upstreamFor (config: GatewayConfig): Promise<{ upstream: string, demo: boolean }> {
    if (config.upstream !== undefined) return { upstream: config.upstream, demo: false }
    if (this.demo === undefined) {
      const d = await startDemoUpstream()
      this.demo = { url: d.url, stop: () => { d.server.close() } }
    }
    return { upstream: this.demo.url, demo: true }
  }

  /** Forks the generation's workers, waits until every one is built, then until every one listens. */
  private async startGeneration (config: GatewayConfig): Promise<Generation> {
    if (Object.values(config.channels).some(url => url.startsWith('file:'))) mkdirSync(config.logDir, { recursive: true })
    const { upstream, demo } = await this.upstreamFor(config)
    const gen: Generation = { id: ++this.generations, config, upstream, demo, live: false, port: config.port }
    const members: Member[] = []
    for (let i = 0; i < config.workers; i++) members.push(this.fork(gen))
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`the workers did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS)
    })
    try {
      await Promise.race([Promise.all(members.map(m => m.ready.promise)), timeout])
      gen.live = true
      for (const m of members) this.send(m.worker, { waf: 'listen' })
      const ports = await Promise.race([Promise.all(members.map(m => m.listening.promise)), timeout])
      gen.port = ports[0]
    } catch (err) {
      // One worker failed: the others of its generation stop too, whatever state they are in.
      gen.live = false
      this.stopGeneration(gen.id)
      throw err
    } finally {
      clearTimeout(timer)
    }
    return gen
  }

  private fork (gen: Generation): Member {
    const worker = cluster.fork()
    const m: Member = { worker, gen, state: 'starting', ready: new Deferred(), listening: new Deferred(), retired: false }
    this.members.set(worker.id, m)
    return m
  }

  private send (worker: Worker, m: ToWorker): void {
    if (worker.isConnected()) worker.send(m)
  }

  private onMessage (worker: Worker, msg: ToPrimary): void {
    const m = this.members.get(worker.id)
    if (m === undefined) return
    switch (msg.waf) {
      case 'hello':
        this.send(worker, { waf: 'start', config: m.gen.config, upstream: m.gen.upstream })
        return
      case 'ready':
        if (m.state === 'starting') m.state = 'ready'
        // What the rule set is, and what of it does not run: once per generation (start, reload).
        if (msg.rules !== undefined && m.gen.rulesShown !== true) {
          m.gen.rulesShown = true
          process.stderr.write(`fastify-waflog gateway: ${msg.rules}\n`)
        }
        m.ready.resolve()
        // A replacement in a generation that serves already: it listens at once.
        if (m.gen.live && m.state === 'ready') this.send(worker, { waf: 'listen' })
        return
      case 'listening':
        if (m.state === 'ready') m.state = 'listening'
        m.listening.resolve(msg.port)
        return
      case 'failed': {
        const err = new Error(msg.message)
        m.ready.reject(err)
        m.listening.reject(err)
        // At start the failure is reported once, by start().
        if (m.gen.live && !this.shuttingDown && this.current !== undefined) process.stderr.write(`fastify-waflog gateway: worker ${worker.id} failed to start: ${msg.message}\n`)
        return
      }
      case 'final':
        this.retired.push(lasting(msg.families))
        m.retired = true
        return
      case 'collected':
        this.collects.get(`${worker.id}:${msg.seq}`)?.(msg.families)
        return
      case 'scrape':
        this.scrape().then(
          text => this.send(worker, { waf: 'scraped', seq: msg.seq, text }),
          err => this.send(worker, { waf: 'scraped', seq: msg.seq, text: `# scrape failed: ${String(err)}\n` }))
        return
      case 'reopened':
    }
  }

  private onExit (worker: Worker, code: number, signal: string | null): void {
    const m = this.members.get(worker.id)
    if (m === undefined) return
    this.members.delete(worker.id)
    const err = new Error(`worker ${worker.id} exited (${signal ?? code}) before it listened`)
    m.ready.reject(err)
    m.listening.reject(err)
    for (const [key, resolve] of this.collects) if (key.startsWith(`${worker.id}:`)) resolve(undefined)
    if (m.state === 'draining' || this.shuttingDown || m.gen !== this.current) return
    // A worker of the serving generation died: another takes its place.
    process.stderr.write(`fastify-waflog gateway: worker ${worker.id} died (${signal ?? code}); starting another\n`)
    const respawn = (): void => {
      if (this.shuttingDown || m.gen !== this.current) return
      const next = this.fork(m.gen)
      next.ready.promise.catch(() => setTimeout(respawn, RESPAWN_DELAY_MS).unref())
    }
    respawn()
  }

  /** One worker's families, or undefined when it does not answer in time (or exits first). */
  private collect (m: Member, seq: number): Promise<MetricFamily[] | undefined> {
    const key = `${m.worker.id}:${seq}`
    return new Promise(resolve => {
      const timer = setTimeout(() => done(undefined), COLLECT_TIMEOUT_MS)
      const done = (families: MetricFamily[] | undefined): void => {
        clearTimeout(timer)
        this.collects.delete(key)
        resolve(families)
      }
      this.collects.set(key, done)
      this.send(m.worker, { waf: 'collect', seq })
    })
  }

  /** Every worker's families and the exited workers' counters, summed into one exposition. */
  async scrape (): Promise<string> {
    const seq = ++this.collectSeq
    const targets = [...this.members.values()].filter(m => m.state === 'listening' || m.state === 'draining')
    const answers = await Promise.all(targets.map(m => this.collect(m, seq)))
    const retired = await this.retiredFamilies()
    const live: MetricFamily[][] = []
    answers.forEach((families, i) => {
      // A worker whose final families came meanwhile is counted by them (they hold at least as much).
      if (families !== undefined && !targets[i].retired) live.push(families)
    })
    return await exposition([...live, ...retired, this.ownFamilies()])
  }

  private async retiredFamilies (): Promise<MetricFamily[][]> {
    if (this.retired.length >= RETIRED_COMPACT_AT && this.compacting === undefined) {
      const batch = this.retired.splice(0)
      this.compacting = sumFamilies(batch).then(sum => {
        this.retired.unshift(sum)
        this.compacting = undefined
      })
    }
    await this.compacting
    return this.retired
  }

  private ownFamilies (): MetricFamily[] {
    const serving = [...this.members.values()].filter(m => m.gen === this.current && m.state === 'listening').length
    return [
      family('waf_gateway_reloads_total', 'Configuration reloads (SIGHUP), by result.', 'counter',
        [{ labels: { result: 'ok' }, value: this.reloads.ok }, { labels: { result: 'failed' }, value: this.reloads.failed }]),
      family('waf_gateway_workers', 'Workers serving the running configuration.', 'gauge', [{ labels: {}, value: serving }]),
      family('waf_gateway_generation', 'The id of the running configuration: 1 at start; every reload, refused or not, takes the next.', 'gauge', [{ labels: {}, value: this.current?.id ?? 0 }])
    ]
  }
}
