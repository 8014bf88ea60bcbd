/**
 * Label values taken from traffic (domains, rule ids) with a bound on how many distinct ones get a
 * series of their own: past `max`, new ones share `overflow`, so a hostile Host header or a
 * rule set of thousands of rules cannot grow a scrape without bound.
 */
export class BoundedKeys<T> {
  private readonly map = new Map<string, T>()
  private other: T | undefined

  constructor (readonly max: number, readonly overflow: string, private readonly make: () => T) {}

  get (key: string): T {
    const hit = this.map.get(key)
    if (hit !== undefined) return hit
    if (this.map.size < this.max) {
      const slot = this.make()
      this.map.set(key, slot)
      return slot
    }
    if (this.other === undefined) this.other = this.make()
    return this.other
  }

  entries (): Array<[string, T]> {
    const out = [...this.map]
    if (this.other !== undefined) out.push([this.overflow, this.other])
    return out
  }
}
