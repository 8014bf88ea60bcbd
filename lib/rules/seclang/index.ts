/**
 * SecLang (ModSecurity / Coraza rule language) support: importing this module registers the
 * `.conf` loader with the rule loaders, the SecLang operators with the operator registry and
 * the XML collection, so `loadRules('/usr/share/modsecurity-crs/rules')` works.
 */
import { registerRuleLoader } from '../loaders/index.js'
import './collections.js'
import { loadSecLangRules } from './loader.js'
import './operators/index.js'

registerRuleLoader(['.conf'], loadSecLangRules)

export { loadSecLangRules, configureSecLang, secLangReport } from './loader.js'
export { secLangResponseSettings } from './response-directives.js'
export { validateCrsOptions, crsSetVars, CRS_OPTIONS_RULE_ID } from './options.js'
export type { CrsOptions } from './options.js'
export { summarize, reportLines, warningLines, emptyReport } from './report.js'
export { DirectiveError } from './directives.js'
export type { SecLangReport, ReportItem } from './report.js'
export { parseSecLang } from './parser.js'
export type * from './ast.js'
