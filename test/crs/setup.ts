import { copyFileSync, existsSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
export const CORPUS = process.env.WAF_CORPUS ?? resolve(here, '../../../shared/corpus')
export const CRS_DIR = join(CORPUS, 'crs')

/** Why the CRS corpus cannot be used, or undefined when it is there. */
export function corpusMissing (): string | undefined {
  if (existsSync(join(CRS_DIR, 'tests')) && existsSync(join(CRS_DIR, 'rules'))) return undefined
  return `the CRS corpus is absent (${CRS_DIR}); set WAF_CORPUS or provide ../shared/corpus/crs`
}

/**
 * What the CRS test setup's environment writes into crs-setup.conf (BLOCKING_PARANOIA=4 and the
 * rest): loaded after crs-setup.conf, before the rules.
 */
const TEST_SETUP = `SecAction "id:900000,phase:1,pass,nolog,\\
  setvar:tx.blocking_paranoia_level=4,setvar:tx.detection_paranoia_level=4,\\
  setvar:tx.crs_validate_utf8_encoding=1,setvar:tx.arg_length=400,setvar:tx.total_arg_length=6400,\\
  setvar:tx.max_file_size=64100,setvar:tx.combined_file_sizes=65535,setvar:tx.max_num_args=255,setvar:tx.arg_name_length=100"
`

/**
 * The rule files of the CRS as its own test setup configures ModSecurity (tests/docker-compose.yml):
 * crs-setup.conf.example copied to crs-setup.conf in `dir` (as the CRS install does), the test
 * settings, then the rules.
 */
export function crsTestRules (dir: string): string[] {
  const setup = join(dir, 'crs-setup.conf')
  copyFileSync(join(CRS_DIR, 'crs-setup.conf.example'), setup)
  const testSetup = join(dir, 'crs-test-setup.conf')
  writeFileSync(testSetup, TEST_SETUP)
  return [setup, testSetup, join(CRS_DIR, 'rules')]
}
