import type { Socket } from 'node:net'

/**
 * Sends `request` on `sock` `n` times, each once the answer to the one before has come, so that
 * every request has an event-loop turn of its own on the server, as at a fixed rate.
 * `answerLength(seen)` is the byte length of the first whole answer at the start of `seen`, or -1
 * while it is still incomplete. Gives up after 60 s (`who` names the benchmark in the error).
 */
export async function oneAtATime (sock: Socket, request: Buffer, n: number, answerLength: (seen: Buffer) => number, who: string): Promise<void> {
  let left = n
  let seen: Buffer = Buffer.alloc(0)
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${who}: no answer within 60 s`)), 60_000)
    sock.on('data', (d: Buffer) => {
      seen = seen.length === 0 ? d : Buffer.concat([seen, d])
      for (;;) {
        let length
        try {
          length = answerLength(seen)
        } catch (err) {
          clearTimeout(timer)
          reject(err)
          return
        }
        if (length === -1) return
        seen = seen.subarray(length)
        if (--left === 0) {
          clearTimeout(timer)
          resolve()
          return
        }
        sock.write(request)
      }
    })
    sock.write(request)
  })
}

/** `answerLength` for HTTP/1.1 answers framed by Content-Length. */
export function lengthFramedAnswer (seen: Buffer): number {
  const end = seen.indexOf('\r\n\r\n')
  if (end === -1) return -1
  const head = seen.toString('latin1', 0, end)
  const m = /\r\ncontent-length: *(\d+)/i.exec(head)
  if (m === null) throw new Error(`an answer without a length: ${head}`)
  const total = end + 4 + Number(m[1])
  return seen.length < total ? -1 : total
}

/** `rounds` rounds of `measure` over `names`, every other round in reverse order (A B B A …): each name's results in round order. */
export async function interleavedRounds<T> (names: readonly string[], rounds: number, measure: (name: string) => Promise<T>): Promise<Record<string, T[]>> {
  const out: Record<string, T[]> = {}
  for (let r = 0; r < rounds; r++) {
    for (const name of r % 2 === 0 ? names : [...names].reverse()) (out[name] ??= []).push(await measure(name))
  }
  return out
}

/** One field of every result of `interleavedRounds`, by name. */
export function fieldOf<T, K extends keyof T> (results: Record<string, T[]>, key: K): Record<string, Array<T[K]>> {
  const out: Record<string, Array<T[K]>> = {}
  for (const [name, list] of Object.entries(results)) out[name] = list.map(r => r[key])
  return out
}
