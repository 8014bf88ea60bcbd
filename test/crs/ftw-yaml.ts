import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'

/**
 * The go-ftw test format (ftw-tests-schema v2) as the CRS ships it: one YAML file per rule,
 * `tests[].stages[].input/output`. Only the fields this runner uses are typed.
 */
export interface FtwInput {
  method?: string
  uri?: string
  version?: string
  headers?: Record<string, string>
  data?: string
  encoded_data?: string
  encoded_request?: string
  autocomplete_headers?: boolean
}

export interface FtwOutput {
  status?: number | number[]
  expect_error?: boolean
  log?: {
    expect_ids?: number[]
    no_expect_ids?: number[]
    match_regex?: string
    no_match_regex?: string
  }
}

export interface FtwStage { input: FtwInput, output: FtwOutput }

export interface FtwTest {
  /** `930100-1`, as go-ftw names a test. */
  name: string
  ruleId: number
  testId: number
  desc: string
  stages: FtwStage[]
}

export interface FtwFile {
  /** The rule file the tests belong to, as their folder is named: `REQUEST-930-APPLICATION-ATTACK-LFI`. */
  group: string
  path: string
  ruleId: number
  tests: FtwTest[]
}

interface RawFile {
  rule_id?: number
  tests?: Array<{ test_id?: number, desc?: string, stages?: Array<{ input?: FtwInput, output?: FtwOutput }> }>
}

/** Reads every `*.yaml` under `root/<group>/`. Malformed files throw, naming the file. */
export function readFtwTests (root: string): FtwFile[] {
  const files: FtwFile[] = []
  for (const group of readdirSync(root).sort()) {
    const dir = join(root, group)
    if (!statSync(dir).isDirectory()) continue
    for (const name of readdirSync(dir).sort()) {
      if (!name.endsWith('.yaml') && !name.endsWith('.yml')) continue
      const path = join(dir, name)
      let raw: RawFile
      try {
        raw = parse(readFileSync(path, 'utf8')) as RawFile
      } catch (err) {
        throw new Error(`${path}: ${(err as Error).message}`)
      }
      const ruleId = Number(raw.rule_id ?? name.replace(/\.ya?ml$/, ''))
      const tests: FtwTest[] = []
      for (const t of raw.tests ?? []) {
        if (typeof t.test_id !== 'number') throw new Error(`${path}: a test has no numeric test_id`)
        const stages = (t.stages ?? []).map((s, i) => {
          if (s.input === undefined || s.output === undefined) throw new Error(`${path}: test ${t.test_id} stage ${i} lacks input or output`)
          return { input: s.input, output: s.output }
        })
        tests.push({ name: `${ruleId}-${t.test_id}`, ruleId, testId: t.test_id, desc: String(t.desc ?? ''), stages })
      }
      files.push({ group, path, ruleId, tests })
    }
  }
  return files
}
