import { readdirSync, readFileSync } from 'node:fs'

/**
 * CPU time of a process, all its threads and its live descendants (nginx's worker is a child of
 * its master), in µs. /proc/<pid>/stat has it as utime + stime in clock ticks of 10 ms, too
 * coarse for a run of a few thousand requests (±2 µs per request at each end); the first field
 * of each thread's /proc/<pid>/task/<tid>/schedstat is the same CPU time in nanoseconds, so the
 * harness sums those, and falls back to utime + stime where schedstat is missing.
 */
const TICK_MICROS = 10_000

function tasksOf (pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`)
}

function taskMicros (pid: number, tid: string): number {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0]) / 1000
  } catch {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'latin1')
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it;
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * TICK_MICROS
  }
}

function childrenOf (pid: number, tid: string): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1').trim().split(' ').filter(s => s !== '').map(Number)
  } catch {
    return []
  }
}

export function processTreeCpuMicros (pid: number): number {
  let micros = 0
  const pending = [pid]
  while (pending.length > 0) {
    const p = pending.pop() as number
    let tasks: string[]
    try {
      tasks = tasksOf(p)
    } catch {
      continue // exited between the listing and the read
    }
    for (const tid of tasks) {
      try {
        micros += taskMicros(p, tid)
        pending.push(...childrenOf(p, tid))
      } catch {
        // a thread that ended between the listing and the read
      }
    }
  }
  return micros
}
