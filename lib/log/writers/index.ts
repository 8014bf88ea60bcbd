import type { FilterSpec, LogRecord, Writer, WriterKind } from '../types.js'
import type { WriterEnv } from './env.js'
import { jsonWriter } from './json.js'
import { nginxWriter } from './nginx.js'
import { rawWriter } from './raw.js'
import { tsvWriter } from './tsv.js'

export type { WriterEnv } from './env.js'

export type WriterFactory = (spec: FilterSpec<LogRecord>, owner: string, env: WriterEnv) => Writer

const factories: Record<WriterKind, WriterFactory> = {
  json: jsonWriter,
  tsv: tsvWriter,
  nginx: nginxWriter,
  raw: rawWriter
}

export function createWriter (spec: FilterSpec<LogRecord>, owner: string, env: WriterEnv): Writer {
  const kind = spec.writer ?? 'json'
  const factory = typeof kind === 'string' && Object.hasOwn(factories, kind) ? factories[kind] : undefined
  if (factory === undefined) {
    throw new TypeError(`${owner}: option "writer" is ${JSON.stringify(kind)}; expected one of ${Object.keys(factories).join(', ')}`)
  }
  if (kind !== 'nginx' && (spec.format !== undefined || spec.escape !== undefined)) {
    throw new TypeError(`${owner}: options "format" and "escape" apply only to writer "nginx"`)
  }
  if (kind !== 'tsv' && spec.types !== undefined) {
    throw new TypeError(`${owner}: option "types" applies only to writer "tsv"`)
  }
  return factory(spec, owner, env)
}
