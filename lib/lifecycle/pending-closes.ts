/**
 * Resolves after the current turn. The server has closed when `onClose` hooks run, but the
 * 'close' events of responses whose connections went last are still queued: a hook that ends
 * logging (the final heartbeat, the transport) waits for them, so their requests are counted
 * and logged.
 */
export async function afterPendingCloses (): Promise<void> {
  await new Promise(resolve => setImmediate(resolve))
}
