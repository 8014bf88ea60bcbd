/** Waits until `test()` holds, polling every `everyMs`; throws naming `what` after `ms`. */
export async function until (what: string, test: () => boolean, ms = 60_000, everyMs = 25): Promise<void> {
  const end = Date.now() + ms
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
}
