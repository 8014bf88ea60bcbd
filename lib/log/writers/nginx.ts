import type { FilterSpec, LogRecord, RecordSource, SourcedRecord, Writer } from '../types.js'
import { kSource } from '../types.js'
import type { WriterEnv } from './env.js'

/**
 * Writes an nginx `log_format` line, compiled once when the filter is added. Variables read the
 * record's source (`rec[kSource]`), so the writer works for any record that stands for a request;
 * a record without a source writes nothing.
 */
export function nginxWriter (spec: FilterSpec<LogRecord>, owner: string, env: WriterEnv): Writer {
  if (spec.format === undefined) throw new TypeError(`${owner}: writer "nginx" needs option "format" (a format name or an nginx log_format string)`)
  if (spec.include !== undefined || spec.exclude !== undefined || spec.fieldNameMap !== undefined) {
    throw new TypeError(`${owner}: options "include", "exclude" and "fieldNameMap" do not apply to writer "nginx"; choose the variables in its format`)
  }
  const format = env.formats.compile(spec.format, spec.escape, owner)
  return {
    line (rec: LogRecord): string | undefined {
      const src = (rec as SourcedRecord)[kSource]
      return src === undefined ? undefined : format.render(src)
    },
    lineFromSource (src: RecordSource): string {
      return format.render(src)
    }
  }
}
