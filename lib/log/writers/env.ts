import type { FormatRegistry } from '../../access/formats.js'
import type { StreamFields } from '../types.js'

/** What a writer may need beyond its filter's spec. */
export interface WriterEnv {
  /** The stream the filter belongs to (the TSV `#path`). */
  stream: string
  /** The app's named nginx formats. */
  formats: FormatRegistry
  /** The fields the stream declares (LogFramework.declareFields), if any. */
  fields: StreamFields | undefined
}
