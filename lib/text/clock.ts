/**
 * The time strings of nginx log variables, cached per second as nginx caches
 * `ngx_cached_http_log_time`: building one costs a Date and a dozen string operations, so a
 * busy server builds each once a second, not once a request.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

function pad2 (n: number): string {
  return n < 10 ? '0' + String(n) : String(n)
}

function offsetOf (d: Date, colon: boolean): string {
  const off = -d.getTimezoneOffset()
  const abs = Math.abs(off)
  return (off < 0 ? '-' : '+') + pad2(Math.floor(abs / 60)) + (colon ? ':' : '') + pad2(abs % 60)
}

/** `28/Sep/1970:12:00:00 +0600`, local time. */
export function formatTimeLocal (ms: number): string {
  const d = new Date(ms)
  return pad2(d.getDate()) + '/' + MONTHS[d.getMonth()] + '/' + String(d.getFullYear()) + ':' +
    pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + ':' + pad2(d.getSeconds()) + ' ' + offsetOf(d, false)
}

/** `1970-09-28T12:00:00+06:00`, local time. */
export function formatIso8601 (ms: number): string {
  const d = new Date(ms)
  return String(d.getFullYear()) + '-' + pad2(d.getMonth() + 1) + '-' + pad2(d.getDate()) + 'T' +
    pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + ':' + pad2(d.getSeconds()) + offsetOf(d, true)
}

/** Zeek's `#open` / `#close` stamp: `%Y-%m-%d-%H-%M-%S`, local time. */
export function formatZeekStamp (ms: number): string {
  const d = new Date(ms)
  return String(d.getFullYear()) + '-' + pad2(d.getMonth() + 1) + '-' + pad2(d.getDate()) + '-' +
    pad2(d.getHours()) + '-' + pad2(d.getMinutes()) + '-' + pad2(d.getSeconds())
}

/** A per-second cache of one of the formatters above. */
export class SecondCache {
  private sec = -1
  private text = ''
  constructor (private readonly format: (ms: number) => string) {}

  at (ms: number): string {
    const sec = Math.floor(ms / 1000)
    if (sec !== this.sec) {
      this.sec = sec
      this.text = this.format(sec * 1000)
    }
    return this.text
  }
}

/** nginx `%T.%03M`: whole seconds, a dot, three digits of ms (`$msec`, `$request_time`). */
export function secondsDotMs (ms: number): string {
  const whole = ms < 0 || !Number.isFinite(ms) ? 0 : Math.round(ms)
  const rest = whole % 1000
  return String((whole - rest) / 1000) + '.' + (rest < 10 ? '00' : rest < 100 ? '0' : '') + String(rest)
}
