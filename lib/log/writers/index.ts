import type { FilterSpec, LogRecord, Writer, WriterKind } from '../types.js'
import { jsonWriter } from './json.js'
import { rawWriter } from './raw.js'

export type WriterFactory = (spec: FilterSpec<LogRecord>, owner: string) => Writer

const factories: Partial<Record<WriterKind, WriterFactory>> = {
  json: jsonWriter,
  raw: rawWriter
}

export function createWriter (spec: FilterSpec<LogRecord>, owner: string): Writer {
  const kind = spec.writer ?? 'json'
  const factory = Object.hasOwn(factories, kind) ? factories[kind] : undefined
  if (factory === undefined) {
    throw new TypeError(`${owner}: option "writer" is ${JSON.stringify(kind)}; expected one of ${Object.keys(factories).join(', ')}`)
  }
  return factory(spec, owner)
}
