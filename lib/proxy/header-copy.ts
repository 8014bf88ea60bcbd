/**
 * A copy of a header object built by assignment into a new object literal. `@fastify/reply-from`
 * hands its `rewriteRequestHeaders` hook an object spread (`{ ...req.headers }`); on Node 20 every
 * field added to such an object costs about 1 µs (a micro-benchmark of five added fields: 4.6 µs
 * on the spread, 0.1 µs on a copy), so a hook that adds fields adds them to a copy.
 */
export function assignedCopy<H extends Record<string, unknown>> (headers: H): H {
  const out: Record<string, unknown> = {}
  const names = Object.keys(headers)
  for (let i = 0; i < names.length; i++) out[names[i]] = headers[names[i]]
  return out as H
}
