/**
 * `s`, made flat in place. A string built by `+` is a rope; a rope kept and joined into many
 * lines is walked again each time a line is flattened (copied for the socket), unless it is flat
 * itself. Reading a character flattens it once (V8 turns the rope into one run of characters).
 */
export function flat (s: string): string {
  if (s.length > 0) s.charCodeAt(0)
  return s
}
