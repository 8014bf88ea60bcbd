/**
 * `s` in several of V8's string representations, for scans that must not depend on them: as
 * given, sliced out of a longer string, concatenated (a rope), internalized (a property key), and
 * cut out of a two-byte string. Each has the same characters as `s`.
 */
export function stringRepresentations (s: string): string[] {
  const padded = 'xxxxxxxxxxxxxxxx' + s + 'yyyy'
  const key = Object.keys({ [s]: 1 })[0]
  return [s, padded.slice(16, 16 + s.length), s.slice(0, 1) + s.slice(1), key, ('日' + s).slice(1)]
}
