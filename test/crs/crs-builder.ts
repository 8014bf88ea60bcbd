import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import '../../lib/rules/seclang/index.js'
import { loadRules, RuleSetBuilder } from '../../lib/rules/index.js'
import { configureSecLang } from '../../lib/rules/seclang/index.js'

/** The CRS of `crsDir` loaded at a paranoia level, its crs-setup.conf copied from the example into `dir`. */
export async function loadCrs (crsDir: string, dir: string, paranoia: number): Promise<RuleSetBuilder> {
  const setup = join(dir, 'crs-setup.conf')
  copyFileSync(join(crsDir, 'crs-setup.conf.example'), setup)
  const builder = new RuleSetBuilder()
  configureSecLang(builder, { paranoia })
  await loadRules([setup, join(crsDir, 'rules')], builder)
  return builder
}
