import net from 'node:net'

/**
 * A loopback TCP collector for benchmarks, in its own process so that reading the log costs
 * neither the server nor the load generator: it counts bytes and newlines, and reports them when
 * asked (IPC message `count`).
 */
let bytes = 0
let lines = 0
const server = net.createServer(sock => {
  sock.on('data', (d: Buffer) => {
    bytes += d.length
    for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) lines++
  })
  sock.on('error', () => {})
})
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as net.AddressInfo).port })
})
process.on('message', m => {
  if (m === 'count') process.send?.({ bytes, lines })
  if (m === 'close') server.close(() => process.exit(0))
})
