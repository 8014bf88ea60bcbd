import { RuleLoadError } from '../errors.js'
import type { RuleSetSettings } from '../rule-set-settings.js'
import type { EngineMode } from '../transaction.js'
import type { ConfigDirective } from './ast.js'

/**
 * The configuration directives of SecLang (every directive that is not a rule, a marker, an
 * update, a removal or an Include). Each is one of:
 * - honoured: it sets a rule-set setting (SecRuleEngine, SecRequestBody*, SecArgumentsLimit …);
 * - accepted: it has no effect here, and the load report's notice says what the suite does
 *   instead (the audit log is the attack log, RE2 needs no backtracking limit …);
 * - refused: a load error naming file, line and directive (a value the engine cannot honour,
 *   or a directive it does not know). Nothing is ignored in silence.
 * The SecResponseBody* directives are response-directives.ts's (phases 3/4).
 */
export class DirectiveError extends RuleLoadError {
  constructor (d: ConfigDirective, reason: string) {
    super(d.loc.file, undefined, 'directive', reason, d.loc.line)
    this.message = `${d.loc.file}:${d.loc.line}: ${d.name}: ${reason}`
  }
}

/** What a directive did: a notice for the report, or nothing to say (a setting honoured as written). */
export type DirectiveOutcome = { notice: string } | undefined

type Handler = (d: ConfigDirective, settings: RuleSetSettings) => DirectiveOutcome

const ENGINE_MODES: Record<string, EngineMode> = { on: 'block', detectiononly: 'detect', off: 'off' }

function one (d: ConfigDirective): string {
  if (d.args.length !== 1) throw new DirectiveError(d, `takes 1 argument, got ${d.args.length}`)
  return d.args[0]!
}

function onOff (d: ConfigDirective): boolean {
  const v = one(d).toLowerCase()
  if (v !== 'on' && v !== 'off') throw new DirectiveError(d, `must be On or Off, not "${d.args[0]!}"`)
  return v === 'on'
}

function bytes (d: ConfigDirective): number {
  const v = one(d)
  if (!/^\d+$/.test(v) || Number(v) < 1 || !Number.isSafeInteger(Number(v))) throw new DirectiveError(d, `must be a whole number >= 1, not "${v}"`)
  return Number(v)
}

/** Accepted with a notice; the arguments are still checked when `check` is given. */
function accepted (notice: string, check?: (d: ConfigDirective) => unknown): Handler {
  return d => {
    check?.(d)
    return { notice }
  }
}

function refused (reason: string): Handler {
  return d => { throw new DirectiveError(d, reason) }
}

const AUDIT = 'no ModSecurity audit log is written: the audit log is the attack log (waf-attack-log), one record per request with a logged match; its format modsec-json writes ModSecurity v3\'s JSON audit record'
const NO_DISK = 'no effect: nothing is written to disk; bodies and uploads are inspected in memory'
const NO_COLLECTIONS = 'no effect: persistent collections (IP, SESSION, USER, GLOBAL, RESOURCE) are not kept'
const PCRE = 'accepted, no effect: every pattern runs in RE2, in time linear in the input, with no backtracking to limit'

const HANDLERS: Record<string, Handler> = {
  secruleengine (d, s) {
    const v = one(d)
    const mode = ENGINE_MODES[v.toLowerCase()]
    if (mode === undefined) throw new DirectiveError(d, `must be On, Off or DetectionOnly, not "${v}"`)
    s.mode = { value: mode, where: `${d.loc.file}:${d.loc.line}` }
    const what = mode === 'detect' ? 'matches are logged, no request is denied, whatever the mode option says'
      : mode === 'off' ? 'no rule runs' : 'rules deny where the mode option (or the domain\'s policy) is block'
    return { notice: what }
  },
  secrequestbodyaccess (d, s) {
    s.requestBodyAccess = onOff(d)
    return s.requestBodyAccess ? undefined : { notice: 'request bodies are not inspected (REQUEST_BODY, ARGS_POST and FILES are empty)' }
  },
  secrequestbodylimit (d, s) { s.bodyLimit = bytes(d); return undefined },
  secrequestbodynofileslimit (d, s) { s.noFilesLimit = bytes(d); return undefined },
  secrequestbodylimitaction (d, s) {
    const v = one(d).toLowerCase()
    if (v !== 'reject' && v !== 'processpartial') throw new DirectiveError(d, `must be Reject or ProcessPartial, not "${d.args[0]!}"`)
    s.bodyLimitAction = v === 'reject' ? 'reject' : 'partial'
    return undefined
  },
  secargumentslimit (d, s) { s.argsLimit = bytes(d); return undefined },
  seccomponentsignature (d, s) { s.components.push(one(d)); return undefined },
  secargumentseparator (d) {
    if (one(d) !== '&') throw new DirectiveError(d, `only "&" is supported as the argument separator, not "${d.args[0]!}"`)
    return undefined
  },
  seccookieformat (d) {
    if (one(d) !== '0') throw new DirectiveError(d, `only version 0 (Netscape) cookies are parsed, not "${d.args[0]!}"`)
    return undefined
  },
  secxmlexternalentity (d) {
    if (onOff(d)) throw new DirectiveError(d, 'external XML entities are never loaded: only Off is supported')
    return undefined
  },
  secrequestbodyinmemorylimit: accepted('accepted: bodies are held in memory up to the body limit (SecRequestBodyLimit); nothing is written to disk', bytes),
  secrequestbodyjsondepthlimit: accepted('accepted, not enforced: JSON bodies are parsed by the framework\'s JSON parser; a body it refuses sets REQBODY_ERROR', bytes),
  secpcrematchlimit: accepted(PCRE, bytes),
  secpcrematchlimitrecursion: accepted(PCRE, bytes),
  seccollectiontimeout: accepted(NO_COLLECTIONS, bytes),
  secdatadir: accepted(NO_COLLECTIONS, one),
  sectmpdir: accepted(NO_DISK, one),
  secuploaddir: accepted(NO_DISK, one),
  secuploadkeepfiles: accepted(NO_DISK, one),
  secuploadfilemode: accepted(NO_DISK, one),
  secuploadfilelimit: accepted(NO_DISK, one),
  sectmpsaveuploadedfiles: accepted(NO_DISK, one),
  secauditengine: accepted(AUDIT, one),
  secauditlog: accepted(AUDIT, one),
  secauditlog2: accepted(AUDIT, one),
  secauditlogparts: accepted(AUDIT, one),
  secauditlogtype: accepted(AUDIT, one),
  secauditlogformat: accepted(AUDIT, one),
  secauditlogrelevantstatus: accepted(AUDIT, one),
  secauditlogstoragedir: accepted(AUDIT, one),
  secauditlogdirmode: accepted(AUDIT, one),
  secauditlogfilemode: accepted(AUDIT, one),
  secdebuglog: accepted('no debug log is written: the load report says what each rule file did, the attack log what each rule matched', one),
  secdebugloglevel: accepted('no debug log is written: the load report says what each rule file did, the attack log what each rule matched', one),
  secunicodemapfile: accepted('accepted, no effect: no code-point map is loaded; urlDecodeUni uses its built-in mapping'),
  secstatusengine: accepted('no effect: nothing is reported to a status server', one),
  secserversignature: accepted('no effect: the Server header of responses is not changed', one),
  secwebappid: accepted('no effect: the application id is not recorded (records name the host)', one),
  secsensorid: accepted('no effect: the sensor id is not recorded (records carry the worker and, when set, the node)', one),
  secgeolookupdb: accepted('no effect: @geoLookup is not supported (rules using it are reported unsupported)', one),
  secgsblookupdb: accepted('no effect: @gsbLookup is not supported (rules using it are reported unsupported)', one),
  sechttpblkey: accepted('no effect: @rbl is not supported (rules using it are reported unsupported)', one),
  secruleperftime: accepted('no effect: rule timings are not collected (the attack log\'s waf_ms is the rule check\'s time)', one),
  secdisablebackendcompression: accepted('no effect: the upstream\'s compression is not changed', onOff),
  secrulescript: refused('Lua rule scripts are never run'),
  secremoterules: refused('rules are never fetched over the network: download them and load the file'),
  secremoterulesfailaction: refused('rules are never fetched over the network: download them and load the file'),
  sechashengine: refused('HMAC hashing of links (SecHash*) is not supported'),
  sechashkey: refused('HMAC hashing of links (SecHash*) is not supported'),
  sechashparam: refused('HMAC hashing of links (SecHash*) is not supported'),
  sechashmethodrx: refused('HMAC hashing of links (SecHash*) is not supported'),
  sechashmethodpm: refused('HMAC hashing of links (SecHash*) is not supported'),
  seccontentinjection: refused('content injection (append / prepend) is not supported'),
  secstreaminbodyinspection: refused('STREAM_INPUT_BODY is not available'),
  secstreamoutbodyinspection: refused('STREAM_OUTPUT_BODY is not available'),
  secruleinheritance: refused('configuration contexts are not inherited here: every rule file applies to every request its registration covers'),
  secconnengine: refused('connection limits are not enforced by the rule engine'),
  secconnreadstatelimit: refused('connection limits are not enforced by the rule engine'),
  secconnwritestatelimit: refused('connection limits are not enforced by the rule engine'),
  secreadstatelimit: refused('connection limits are not enforced by the rule engine'),
  secwritestatelimit: refused('connection limits are not enforced by the rule engine'),
  secinterceptonerror: refused('not supported: a rule that cannot run is refused at load time instead'),
  secchrootdir: refused('an Apache setting with no meaning here'),
  secguardianlog: refused('an Apache setting with no meaning here')
}

/** Applies one configuration directive; throws DirectiveError for one it refuses or does not know. */
export function applyConfigDirective (d: ConfigDirective, settings: RuleSetSettings): DirectiveOutcome {
  const h = HANDLERS[d.name.toLowerCase()]
  if (h === undefined) {
    throw new DirectiveError(d, d.name.toLowerCase().startsWith('sec') ? 'unknown or unsupported SecLang directive' : 'not a SecLang directive')
  }
  return h(d, settings)
}
