/**
 * Label values taken from traffic (domains, rule ids) with a bound on how many distinct ones get a
 * series of their own: past `max`, new ones share `overflow`, so a hostile Host header or a
 * rule set of thousands of rules cannot grow a scrape without bound. Keys that `rejected` names
 * (not host names, say) share the `rejected.key` series. A key seen before costs one map lookup.
 */
export class BoundedKeys<T> {
  private readonly map = new Map<string, T>()
  private other: T | undefined
  private refused: T | undefined

  constructor (readonly max: number, readonly overflow: string, private readonly make: () => T,
    private readonly rejected?: { key: string, test: (key: string) => boolean }) {}

  get (key: string): T {
    const hit = this.map.get(key)
    return hit !== undefined ? hit : this.admit(key)
  }

  private admit (key: string): T {
    if (this.rejected !== undefined && this.rejected.test(key)) return (this.refused ??= this.make())
    if (this.map.size < this.max) {
      const slot = this.make()
      this.map.set(key, slot)
      return slot
    }
    return (this.other ??= this.make())
  }

  entries (): Array<[string, T]> {
    const out = [...this.map]
    if (this.refused !== undefined && this.rejected !== undefined) out.push([this.rejected.key, this.refused])
    if (this.other !== undefined) out.push([this.overflow, this.other])
    return out
  }
}
