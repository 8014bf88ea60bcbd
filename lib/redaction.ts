/**
 * The one redaction marker of every waf log, and the header names each log redacts by default.
 * A redacted header's value never reaches a log: the forensic "+" line, the access record (and
 * its nginx `$http_*`, `$cookie_*`, `$sent_http_*` variables), and the attack record's headers,
 * payloads, locations and messages all write `REDACTED` in its place.
 */

export const REDACTED = 'REDACTED'

/** Request headers that carry credentials: redacted in every log unless the log's option says otherwise. */
export const DEFAULT_REDACT_REQUEST_HEADERS: readonly string[] = Object.freeze(['authorization', 'proxy-authorization', 'cookie'])
