/** V8 CPU profiles (.cpuprofile) read as self time per function and per package, for bench/profile.ts and bench/crs-profile.ts. */
export interface ProfileNode { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
export interface CpuProfile { nodes: ProfileNode[], samples: number[], timeDeltas: number[] }

/** The package or area a script belongs to, for the per-package sums. */
function areaOf (url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)'
  const nm = url.lastIndexOf('node_modules/')
  if (nm !== -1) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/')
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`
  const dist = url.indexOf('/dist/')
  if (dist !== -1) return `waflog ${url.slice(dist + 6).split('/').slice(0, -1).join('/')}`
  return url
}

/** Each function's and package's self time (µs of samples), idle and program time left out. */
export function selfTimes (p: CpuProfile): { byFn: Map<string, number>, byArea: Map<string, number>, busy: number } {
  const byId = new Map(p.nodes.map(n => [n.id, n]))
  const self = new Map<number, number>()
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0))
  const byFn = new Map<string, number>()
  const byArea = new Map<string, number>()
  let busy = 0
  for (const [id, us] of self) {
    const f = (byId.get(id) as ProfileNode).callFrame
    if (f.functionName === '(idle)' || f.functionName === '(program)') continue
    busy += us
    const file = f.url === '' ? '' : f.url.replace(/^.*\/(node_modules|dist)\//, '$1/').replace(/^file:\/\//, '')
    const key = `${f.functionName || '(anonymous)'} ${file}${f.url === '' ? '' : `:${f.lineNumber + 1}`}`
    byFn.set(key, (byFn.get(key) ?? 0) + us)
    const area = areaOf(f.url, f.functionName)
    byArea.set(area, (byArea.get(area) ?? 0) + us)
  }
  return { byFn, byArea, busy }
}

/** Prints the top packages and functions by self time, scaled so that the busy samples add up to `cpuPerReq` µs. */
export function printSelfTimes (prof: CpuProfile, cpuPerReq: number, top: number): void {
  const { byFn, byArea, busy } = selfTimes(prof)
  // The profile's busy samples, scaled to the run's CPU µs (the profiler's own cost included).
  const scale = cpuPerReq / busy
  const print = (title: string, m: Map<string, number>, n: number): void => {
    process.stdout.write(`\n${title} (self time, µs per request; share of busy samples)\n`)
    for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) {
      process.stdout.write(`  ${(us * scale).toFixed(2).padStart(7)}  ${(100 * us / busy).toFixed(1).padStart(5)}%  ${k}\n`)
    }
  }
  print('by package', byArea, 30)
  print('by function', byFn, top)
}
