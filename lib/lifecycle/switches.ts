import type { PluginKey } from './context.js'
import { PLUGIN_KEYS } from './context.js'

/** Path-prefix lists that every plugin takes. */
export interface PrefixOptions {
  /** Only paths under one of these prefixes are handled. */
  include?: string[]
  /** Paths under one of these prefixes are skipped, even when included. */
  exclude?: string[]
}

/** One row of the umbrella plugin's `routes`: the longest matching prefix decides. */
export interface RouteToggle {
  prefix: string
  forensic?: boolean
  rules?: boolean
  access?: boolean
  attack?: boolean
  heartbeat?: boolean
}

/** Route config: `config: { waf: false }` turns every plugin off, `{ waf: { rules: false } }` one. */
export type RouteWafConfig = false | Partial<Record<PluginKey, boolean>>

/**
 * Whether `path` lies under `prefix`, on segment boundaries: `/api` covers `/api` and `/api/x`,
 * not `/apix`. A prefix that ends in `/` covers everything below it.
 */
export function underPrefix (path: string, prefix: string): boolean {
  if (!path.startsWith(prefix)) return false
  if (path.length === prefix.length || prefix.endsWith('/')) return true
  const next = path.charCodeAt(prefix.length)
  return next === 47 /* / */ || next === 63 /* ? */
}

function isStaticPattern (pattern: string): boolean {
  return pattern.indexOf(':') === -1 && pattern.indexOf('*') === -1
}

/** The path part of a request target, without query string. */
export function pathOf (url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

function validatePrefixes (owner: string, option: string, list: unknown): string[] | undefined {
  if (list === undefined) return undefined
  if (!Array.isArray(list) || list.some(p => typeof p !== 'string' || !p.startsWith('/'))) {
    throw new TypeError(`${owner}: option "${option}" must be an array of path prefixes that start with "/"`)
  }
  return list as string[]
}

export function validateRouteToggles (owner: string, routes: unknown): RouteToggle[] {
  if (routes === undefined) return []
  if (!Array.isArray(routes)) throw new TypeError(`${owner}: option "routes" must be an array`)
  return routes.map((r: unknown, i) => {
    if (r === null || typeof r !== 'object') throw new TypeError(`${owner}: option "routes[${i}]" must be an object`)
    const row = r as Record<string, unknown>
    if (typeof row.prefix !== 'string' || !row.prefix.startsWith('/')) {
      throw new TypeError(`${owner}: option "routes[${i}].prefix" must be a path that starts with "/"`)
    }
    for (const k of Object.keys(row)) {
      if (k === 'prefix') continue
      if (!(PLUGIN_KEYS as readonly string[]).includes(k)) {
        throw new TypeError(`${owner}: option "routes[${i}].${k}" is unknown; expected one of ${PLUGIN_KEYS.join(', ')}`)
      }
      if (typeof row[k] !== 'boolean') throw new TypeError(`${owner}: option "routes[${i}].${k}" must be a boolean`)
    }
    return row as unknown as RouteToggle
  })
}

/**
 * Decides whether one plugin runs for a request. The answer depends only on the route (its
 * pattern and config) or, for wildcard routes and requests no route matched, on the path: the
 * lifecycle asks `enabledOnRoute` once per route and `enabled` only where the path decides.
 */
export class PluginSwitch {
  private readonly include: string[] | undefined
  private readonly exclude: string[] | undefined
  private readonly routes: RouteToggle[]
  /** True when no prefix rule exists, so only route config can turn the plugin off. */
  private readonly trivial: boolean
  /**
   * True when no prefix holds a `?`: a prefix then matches a request target exactly when it
   * matches the target's path (`underPrefix` ends a segment at `?` too), so the path need not
   * be cut out of the target (a new string per plugin and request, on wildcard routes such as
   * the gateway's).
   */
  private readonly targetIsPath: boolean
  /**
   * The answer for every path a route can match, when no prefix but `/` decides (the umbrella's
   * `routes: [{ prefix: '/', … }]`, the gateway's global switches); undefined when paths differ.
   * It lets a wildcard route (the gateway's `/*`) be decided once, not per request.
   */
  private readonly everyPath: boolean | undefined

  constructor (readonly key: PluginKey, owner: string, opts: PrefixOptions = {}, routes: RouteToggle[] = []) {
    this.include = validatePrefixes(owner, 'include', opts.include)
    this.exclude = validatePrefixes(owner, 'exclude', opts.exclude)
    // Longest prefix first, so the first hit is the one that decides.
    this.routes = routes.filter(r => r[key] !== undefined).sort((a, b) => b.prefix.length - a.prefix.length)
    this.trivial = this.include === undefined && this.exclude === undefined && this.routes.length === 0
    const prefixes = [...(this.include ?? []), ...(this.exclude ?? []), ...this.routes.map(r => r.prefix)]
    this.targetIsPath = prefixes.every(p => p.indexOf('?') === -1)
    // A matched route's path starts with '/', which every '/' prefix covers: the first row decides.
    this.everyPath = this.include === undefined && this.exclude === undefined && this.routes.every(r => r.prefix === '/')
      ? this.routes.length === 0 || this.routes[0][key] === true
      : undefined
  }

  /**
   * `routeUrl` is the matched route pattern (undefined for a 404), `url` the request target and
   * `config` the route's `config.waf`.
   */
  enabled (routeUrl: string | undefined, url: string, config: RouteWafConfig | undefined): boolean {
    if (config === false) return false
    if (config !== undefined && config[this.key] === false) return false
    if (this.trivial) return true
    if (routeUrl === undefined || !isStaticPattern(routeUrl)) return this.byPath(this.targetIsPath ? url : pathOf(url))
    return this.byPath(routeUrl)
  }

  /** `enabled` for every request of a route, or undefined when the request's path decides (a wildcard route, a 404). */
  enabledOnRoute (routeUrl: string | undefined, config: RouteWafConfig | undefined): boolean | undefined {
    if (config === false) return false
    if (config !== undefined && config[this.key] === false) return false
    if (this.trivial) return true
    if (routeUrl === undefined) return undefined
    if (!isStaticPattern(routeUrl)) return this.everyPath
    return this.byPath(routeUrl)
  }

  private byPath (path: string): boolean {
    if (this.include !== undefined && !this.include.some(p => underPrefix(path, p))) return false
    if (this.exclude !== undefined && this.exclude.some(p => underPrefix(path, p))) return false
    for (const r of this.routes) {
      if (underPrefix(path, r.prefix)) return r[this.key] as boolean
    }
    return true
  }
}

/** A participant's `enabled` and `enabledOnRoute`, decided by `sw`. */
export function participantSwitch (sw: PluginSwitch): {
  enabled: (routeUrl: string | undefined, url: string, config: unknown) => boolean
  enabledOnRoute: (routeUrl: string | undefined, config: unknown) => boolean | undefined
} {
  return {
    enabled: (routeUrl, url, config) => sw.enabled(routeUrl, url, config as RouteWafConfig | undefined),
    enabledOnRoute: (routeUrl, config) => sw.enabledOnRoute(routeUrl, config as RouteWafConfig | undefined)
  }
}
