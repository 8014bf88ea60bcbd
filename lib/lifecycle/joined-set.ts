import type { PluginKey } from './context.js'

const KEY_BIT: Readonly<Record<PluginKey, number>> = Object.freeze({ forensic: 0, rules: 1, access: 2, attack: 3, heartbeat: 4 })
const DEPARTED_BIT = 5
const FIRST_PARTICIPANT_BIT = 6
/** Integers stay exact in a double up to 2^53. */
const BITS = 53
const POW: readonly number[] = Array.from({ length: BITS }, (_, i) => 2 ** i)
const DEPARTED = POW[DEPARTED_BIT]

/**
 * The participants one request has joined, and whether it has departed, as one number (a
 * request decorator, so a request allocates nothing for it): a bit per plugin key (a plugin
 * registered in nested scopes joins once), a departed bit, and a bit per participant, by its
 * index in the app's participant list. 0 means no participant joined. A bit is its value
 * (2^n), worked out once per participant at registration (`keyBit`, `participantBit`), so a
 * request's tests and updates are arithmetic on numbers, never a lookup by key.
 */
export const JoinedSet = {
  /** Participants an app can register. */
  MAX: BITS - FIRST_PARTICIPANT_BIT,

  /** Throws for a key that has no bit, so that a bad participant fails at registration. */
  check (key: string): void {
    if (!Object.prototype.hasOwnProperty.call(KEY_BIT, key)) throw new TypeError(`fastify-waflog: unknown participant key ${JSON.stringify(key)}`)
  },

  /** The bit of a plugin key. */
  keyBit (key: PluginKey): number {
    return POW[KEY_BIT[key]]
  },

  /** The bit of participant `index`. */
  participantBit (index: number): number {
    return POW[FIRST_PARTICIPANT_BIT + index]
  },

  /** Whether `bit` (a keyBit or a participantBit) is set in `mask`. */
  has (mask: number, bit: number): boolean {
    return Math.floor(mask / bit) % 2 === 1
  },

  departed (mask: number): boolean {
    return Math.floor(mask / DEPARTED) % 2 === 1
  },

  markDeparted (mask: number): number {
    return mask + DEPARTED
  }
} as const
