import net from 'node:net'

/** A loopback port that was free a moment ago (for peers such as socat that cannot report theirs). */
export async function freePort (host = '127.0.0.1'): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, host, () => {
      const addr = srv.address() as net.AddressInfo
      srv.close(() => resolve(addr.port))
    })
  })
}

/** Resolves once something accepts connections on the port; rejects after `timeoutMs`. */
export async function waitForPort (port: number, timeoutMs = 10_000, host = '127.0.0.1'): Promise<void> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    const ok = await new Promise<boolean>(resolve => {
      const s = net.connect(port, host)
      s.once('connect', () => { s.destroy(); resolve(true) })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    await new Promise(resolve => setTimeout(resolve, 25))
  }
  throw new Error(`nothing listened on ${host}:${port} within ${timeoutMs} ms`)
}
