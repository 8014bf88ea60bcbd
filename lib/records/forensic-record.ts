/** A record of the `forensic` stream. Its `line` is the Apache line, written as it is by the `raw` writer. */
export interface ForensicRecord {
  type: 'forensic'
  id: string
  phase: '+' | '-'
  line: string
}
