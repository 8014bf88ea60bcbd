import { buildFtwRequest } from './ftw-request.js'
import type { FtwFile, FtwTest } from './ftw-yaml.js'
import { judgeStage } from './judge.js'
import type { StageResult } from './judge.js'

export interface TestOutcome {
  name: string
  group: string
  /** Undefined when the test passed. */
  failure: string | undefined
}

/** Runs one stage: sends the request, returns what the server and the attack log said. */
export type StageRunner = (bytes: Buffer) => Promise<StageResult>

/**
 * Runs every test of the files, `concurrency` tests at a time (the stages of one test in
 * order), each request on its own connection as go-ftw sends them. Bounded in time by the
 * stage runner's timeout; bounded in count by the files.
 */
export async function runTests (files: readonly FtwFile[], stage: StageRunner, concurrency: number): Promise<TestOutcome[]> {
  const queue: Array<{ file: FtwFile, test: FtwTest }> = []
  for (const file of files) for (const test of file.tests) queue.push({ file, test })
  const out: TestOutcome[] = []
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < queue.length) {
      const { file, test } = queue[next++]!
      out.push({ name: test.name, group: file.group, failure: await runTest(test, stage) })
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker))
  return out
}

async function runTest (test: FtwTest, stage: StageRunner): Promise<string | undefined> {
  for (const [i, s] of test.stages.entries()) {
    let bytes: Buffer
    try {
      bytes = buildFtwRequest(s.input)
    } catch (err) {
      return `stage ${i}: cannot build the request: ${(err as Error).message}`
    }
    const r = await stage(bytes)
    const why = judgeStage(s.output, r)
    if (why !== undefined) return `${test.stages.length > 1 ? `stage ${i}: ` : ''}${why} [logged: ${[...new Set(r.ids)].join(',') || 'nothing'}; status ${r.status}]`
  }
  return undefined
}

export interface GroupRate { group: string, passed: number, total: number }

/** Pass counts per rule file (test folder), in folder order. */
export function rates (outcomes: readonly TestOutcome[]): GroupRate[] {
  const by = new Map<string, GroupRate>()
  for (const o of outcomes) {
    let g = by.get(o.group)
    if (g === undefined) by.set(o.group, g = { group: o.group, passed: 0, total: 0 })
    g.total++
    if (o.failure === undefined) g.passed++
  }
  return [...by.values()].sort((a, b) => a.group.localeCompare(b.group))
}

export function percent (passed: number, total: number): string {
  return total === 0 ? '-' : `${(100 * passed / total).toFixed(1)}%`
}
