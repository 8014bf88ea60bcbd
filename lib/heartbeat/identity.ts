import cluster from 'node:cluster'
import { readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ResolvedHeartbeatOptions } from './options.js'
import type { HeartbeatIdentity } from './report.js'

/**
 * Who a heartbeat comes from: the package version (`e`), the worker's address (`ip`) and its
 * cluster worker id (`wid`). Each is read once, when the plugin registers.
 */

const PACKAGE_NAME = 'fastify-waflog'

/**
 * The version in this package's package.json. The module runs from `lib/heartbeat/` (sources)
 * or `dist/lib/heartbeat/` (build), so the file is looked up from here towards the root.
 */
export async function packageVersion (from: string = path.dirname(fileURLToPath(import.meta.url))): Promise<string> {
  let dir = from
  for (;;) {
    const pkg = await readPackage(path.join(dir, 'package.json'))
    if (pkg !== undefined && pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version
    const up = path.dirname(dir)
    if (up === dir) throw new Error(`waf-heartbeat: cannot find the ${PACKAGE_NAME} package.json above ${from}; set option "edition"`)
    dir = up
  }
}

async function readPackage (file: string): Promise<{ name?: unknown, version?: unknown } | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as { name?: unknown, version?: unknown }
  } catch {
    return undefined
  }
}

type Interfaces = ReturnType<typeof os.networkInterfaces>

/** The first non-internal IPv4 address, in the order the OS lists interfaces; undefined if none. */
export function firstExternalIPv4 (interfaces: Interfaces = os.networkInterfaces()): string | undefined {
  for (const list of Object.values(interfaces)) {
    if (list === undefined) continue
    for (const a of list) {
      // Node 18.0-18.3 reported the family as a number.
      const v4 = a.family === 'IPv4' || (a.family as unknown) === 4
      if (v4 && !a.internal) return a.address
    }
  }
  return undefined
}

/** The `node:cluster` worker id, 0 in the primary or outside a cluster. */
export function clusterWorkerId (): number {
  return cluster.worker?.id ?? 0
}

/** The identity of this worker's reports: what the options set, the rest read from the package, the network and the cluster. */
export async function resolveIdentity (o: Pick<ResolvedHeartbeatOptions, 'edition' | 'ip' | 'node' | 'workerId'>): Promise<HeartbeatIdentity> {
  return {
    e: o.edition ?? await packageVersion(),
    ip: o.ip ?? firstExternalIPv4() ?? '127.0.0.1',
    node: o.node,
    wid: o.workerId ?? clusterWorkerId()
  }
}
