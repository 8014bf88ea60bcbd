import http from 'node:http'
import type { Request } from './load.js'
import type { TrafficRequest } from './traffic-http.js'

/**
 * The self-check of the CRS comparison (bench/gateway-crs.ts), before anything is measured: each
 * side gets every request of the traffic mix once; the attack must be refused with 403 and every
 * other request answered 200, or the benchmark compares against a peer that does not run the rules
 * (or runs them on something else) and prints no ratio. Beside the statuses it collects the rule
 * ids each side logged for each request, printed so that a difference between the engines shows.
 */

export interface Answer {
  status: number
  /** The gateway's request id (x-request-id), by which its attack record is found. */
  id: string | undefined
}

/** One request as the load generator sends it, on a fresh connection. */
export async function send (port: number, req: Request): Promise<Answer> {
  return await new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, method: req.method, path: req.path, headers: req.headers, agent: false }, res => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, id: headerOf(res.headers['x-request-id']) }))
    })
    r.setTimeout(10_000, () => r.destroy(new Error(`${req.method} ${req.path}: no answer in 10 s`)))
    r.on('error', reject)
    r.end(req.body)
  })
}

function headerOf (v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}

export interface Checked {
  name: string
  status: number
  expected: number
  answer: Answer
  /** What the side's log (`logged`) grew by while it answered. */
  log: string
}

/** The rule ids of ModSecurity's messages in nginx's error log (`[id "942100"]`). */
export function modsecurityRuleIds (errorLog: string): string[] {
  return [...errorLog.matchAll(/ModSecurity: [^\n]*?\[id "(\d+)"\]/g)].map(m => m[1])
}

/**
 * Sends the mix to one side, one request at a time. `logged` reads a log that grows in step with
 * the answers (nginx's error log, where ModSecurity writes each match before the response), so
 * what it grew by is the request's.
 */
export async function checkSide (port: number, mix: TrafficRequest[], logged: () => string = () => ''): Promise<Checked[]> {
  const out: Checked[] = []
  for (const t of mix) {
    const before = logged().length
    const answer = await send(port, t.request)
    out.push({ name: t.name, status: answer.status, expected: t.attack ? 403 : 200, answer, log: logged().slice(before) })
  }
  return out
}

/** What is wrong with a side's answers, one line each; empty when it blocks the attack and passes the rest. */
export function problems (side: string, checked: Checked[]): string[] {
  return checked.filter(c => c.status !== c.expected).map(c => `${side}: ${c.name} answered ${c.status}, not ${c.expected}`)
}
