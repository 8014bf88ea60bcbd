/**
 * A request that varies from one to the next as bench/crs-traffic.ts's series do (request `n`
 * of a kind has its own path, id, token …), as a template the load generator fills in for every
 * request it sends: literal text and numeric slots, each `offset + n` in base 10 or 16, padded
 * to `width`. Found by comparing requests 0 and 1 of the series and checked against requests
 * further on; a series the template does not reproduce has none (the benchmark then says so).
 */
export interface Slot { base: 10 | 16, offset: number, width: number }
export type Template = Array<string | Slot>

/** The requests a series varies: its path and body (method and headers stay). */
export interface RequestSeries {
  path: Template
  body?: Template
}

/** Request `n` up to which a template is checked (the load starts each run a million further on). */
export const CHECKED_UP_TO = 99_999_999

const RUN = /[0-9a-f]+|[^0-9a-f]+/g

function format (slot: Slot, n: number): string {
  return (slot.offset + n).toString(slot.base).padStart(slot.width, '0')
}

export function fill (t: Template, n: number): string {
  let out = ''
  for (const p of t) out += typeof p === 'string' ? p : format(p, n)
  return out
}

/** The slot a run of (hex) digits is, in the base that gives `later` for request `at`. */
function slotOf (first: string, next: string, later: string, at: number): Slot | undefined {
  for (const base of [10, 16] as const) {
    if (base === 10 && !/^\d+$/.test(first)) continue
    const offset = parseInt(first, base)
    if (parseInt(next, base) !== offset + 1) continue
    const slot: Slot = { base, offset, width: first.startsWith('0') ? first.length : 0 }
    if (format(slot, 0) === first && format(slot, at) === later) return slot
  }
  return undefined
}

/** The template of a text series, or undefined when requests 0 and 1 do not differ by numbers that count up. */
export function templateOf (nth: (n: number) => string): Template | undefined {
  const at = 1000
  const [a, b, c] = [nth(0), nth(1), nth(at)].map(s => s.match(RUN) ?? [])
  if (a.length !== b.length || a.length !== c.length) return undefined
  const t: Template = []
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) {
      if (typeof t[t.length - 1] === 'string') t[t.length - 1] += a[i]
      else t.push(a[i])
      continue
    }
    const slot = slotOf(a[i], b[i], c[i], at)
    if (slot === undefined) return undefined
    t.push(slot)
  }
  for (const n of [0, 1, 37, at, 123_456, 54_321_987, CHECKED_UP_TO]) if (fill(t, n) !== nth(n)) return undefined
  return t
}
