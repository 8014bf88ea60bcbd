import type { BodyInput } from './input.js'
import type { Transaction } from './transaction.js'

/**
 * SecRequestBodyNoFilesLimit: a body without files (anything but multipart) is inspected up to
 * its own, usually smaller, limit; the cut is recorded like every other. A multipart body, and
 * any body when the limit is the body limit, is cut by the transaction's own body limit.
 */
export function limitBody (body: BodyInput | undefined, noFilesBytes: number, tx: Transaction): BodyInput | undefined {
  if (body === undefined || noFilesBytes >= tx.req.limits.bodyBytes || body.fields !== undefined || body.files !== undefined) return body
  const raw = body.raw ?? body.form
  if (raw === undefined || raw.length <= noFilesBytes) return body
  tx.req.cuts.push({ kind: 'body', location: 'REQUEST_BODY', size: raw.length })
  const out: BodyInput = { ...body }
  if (out.raw !== undefined) out.raw = out.raw.slice(0, noFilesBytes)
  if (out.form !== undefined) out.form = out.form.slice(0, noFilesBytes)
  return out
}
