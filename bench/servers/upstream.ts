import { startDemoUpstream } from '../../example-app/upstream.js'

/** The demo upstream in its own process, for the gateway benchmark: tells the parent its URL. */
const { server, url } = await startDemoUpstream()
process.send?.({ url })
// The benchmark that forked it is gone (killed, or crashed on a closed pipe): so is its upstream.
process.on('disconnect', () => { server.closeAllConnections(); server.close(() => process.exit(0)) })
process.on('message', m => {
  if (m === 'close') {
    server.closeAllConnections()
    server.close(() => process.exit(0))
  }
})
