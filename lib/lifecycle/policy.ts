import type { IncomingMessage } from 'node:http'

export type WafMode = 'block' | 'detect' | 'off'

/** What the WAF does for one domain (the seed's `user_policy`). */
export interface WafPolicy {
  /** `block` denies, `detect` only logs, `off` turns the rule check and the access log off. */
  mode: WafMode
  /** Whether the rule check runs at all for this domain. */
  rules: boolean
}

export type PolicyResolver = (domain: string, req: IncomingMessage) => WafPolicy | undefined

export const DEFAULT_POLICY: Readonly<WafPolicy> = Object.freeze({ mode: 'block', rules: true })

/**
 * The app's domain → policy table, and its only owner: every context resolves its policy here,
 * whichever plugin creates it, and the plugins that configure or read policies (the rule check
 * sets them, the access log skips domains whose mode is `off`) go through this API.
 */
export class PolicyTable {
  /** The policy of a domain without one of its own. Changed in place, so that contexts already made follow. */
  private readonly fallback: WafPolicy = { ...DEFAULT_POLICY }
  private table: Map<string, WafPolicy> = new Map()
  private resolver: PolicyResolver | undefined

  /** The policy of a domain without one of its own. */
  get defaultPolicy (): Readonly<WafPolicy> {
    return this.fallback
  }

  /** The default mode (the rule check's `mode` option); set before `set`, domain policies start from it. */
  setDefaultMode (mode: WafMode): void {
    this.fallback.mode = mode
  }

  /** Replaces the default policy, for tools and tests. */
  setDefault (policy: WafPolicy): void {
    this.fallback.mode = policy.mode
    this.fallback.rules = policy.rules
  }

  /** A domain → policy table, or a function. Domains are matched lowercased, without port. */
  set (policies: Record<string, Partial<WafPolicy>> | PolicyResolver | undefined): void {
    this.table = new Map()
    this.resolver = undefined
    if (policies === undefined) return
    if (typeof policies === 'function') {
      this.resolver = policies
      return
    }
    for (const [domain, p] of Object.entries(policies)) {
      this.table.set(domain.toLowerCase(), { ...this.fallback, ...p })
    }
  }

  /** A policy function is not consulted without a request (one the HTTP parser refused). */
  resolve (domain: string, req: IncomingMessage | undefined): WafPolicy {
    if (this.resolver !== undefined && req !== undefined) return this.resolver(domain, req) ?? this.fallback
    // Without a table, skip hashing the domain (a new string per request).
    if (this.table.size === 0) return this.fallback
    return this.table.get(domain) ?? this.fallback
  }

  /**
   * The policy a rule-check registration with its own `mode` applies: a domain without its own
   * policy gets that mode (two registrations in two scopes may differ, while the default policy
   * is app-wide); a domain policy wins.
   */
  withRegistrationMode (policy: WafPolicy, mode: WafMode | undefined): WafPolicy {
    if (mode === undefined || policy !== this.fallback || policy.mode === mode) return policy
    return { ...policy, mode }
  }
}

/** Whether the rule check runs under `policy`. */
export function rulesRun (policy: WafPolicy): boolean {
  return policy.rules && policy.mode !== 'off'
}

/** Whether the access log writes a record under `policy` (mode `off` turns it off). */
export function accessLogged (policy: WafPolicy): boolean {
  return policy.mode !== 'off'
}
