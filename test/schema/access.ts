import { readFileSync } from 'node:fs'
import { Ajv } from 'ajv'
import type { ErrorObject } from 'ajv'

/** The JSON Schema of the access record, compiled once; `errors` is empty for a valid record. */
const schema = JSON.parse(readFileSync(new URL('./access-record.schema.json', import.meta.url), 'utf8')) as object
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema)

export function accessRecordErrors (rec: unknown): ErrorObject[] {
  return validate(rec) ? [] : [...(validate.errors ?? [])]
}
