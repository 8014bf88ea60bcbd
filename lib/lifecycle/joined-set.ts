import type { PluginKey } from './context.js'

const KEY_BIT: Readonly<Record<PluginKey, number>> = Object.freeze({ forensic: 0, rules: 1, access: 2, attack: 3, heartbeat: 4 })
const DEPARTED_BIT = 5
const FIRST_PARTICIPANT_BIT = 6
/** Integers stay exact in a double up to 2^53. */
const BITS = 53
const POW: readonly number[] = Array.from({ length: BITS }, (_, i) => 2 ** i)

function bit (mask: number, b: number): boolean {
  return Math.floor(mask / POW[b]) % 2 === 1
}

/**
 * The participants one request has joined, and whether it has departed, as one number (a
 * request decorator, so a request allocates nothing for it): a bit per plugin key (a plugin
 * registered in nested scopes joins once), a departed bit, and a bit per participant, by its
 * index in the app's participant list. 0 means no participant joined.
 */
export class JoinedSet {
  /** Participants an app can register. */
  static readonly MAX = BITS - FIRST_PARTICIPANT_BIT

  /** Throws for a key that has no bit, so that a bad participant fails at registration. */
  static check (key: string): void {
    if (!Object.prototype.hasOwnProperty.call(KEY_BIT, key)) throw new TypeError(`fastify-waflog: unknown participant key ${JSON.stringify(key)}`)
  }

  hasKey (mask: number, key: PluginKey): boolean {
    return bit(mask, KEY_BIT[key])
  }

  /** The mask with participant `index` (of `key`, which has not joined yet) added. */
  add (mask: number, index: number, key: PluginKey): number {
    return mask + POW[FIRST_PARTICIPANT_BIT + index] + POW[KEY_BIT[key]]
  }

  has (mask: number, index: number): boolean {
    return bit(mask, FIRST_PARTICIPANT_BIT + index)
  }

  departed (mask: number): boolean {
    return bit(mask, DEPARTED_BIT)
  }

  markDeparted (mask: number): number {
    return mask + POW[DEPARTED_BIT]
  }
}
