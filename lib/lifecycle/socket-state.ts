/**
 * What the waf code keeps per connection, in one object under one symbol on the socket. The
 * properties used to be six symbols set by three modules at different moments of a request, so
 * a socket went through several hidden classes in its life and in an order that depended on the
 * plugins: Node's stream and net functions, shared by every socket, saw many maps and their
 * inline caches went polymorphic or megamorphic (V8's --trace-deopt showed "wrong map"
 * deoptimizations of Socket.read, Readable.read, flow, onStreamRead…). Now a socket gets one
 * new property, once, and the object behind it always has the same shape.
 */
const kState = Symbol.for('fastify-waflog.socketState')

export class SocketState {
  /** The last request that joined (lib/lifecycle) and has not departed yet (an IncomingMessage). */
  inFlight: object | null = null
  /** `bytesRead` / `bytesWritten` when the previous response on the connection ended (lib/sizes). */
  readMark = 0
  writeMark = 0
  /** `$connection`: the connection's serial number, 0 until the access log numbers it. */
  serial = 0
  /** `$connection_requests`: requests counted on it so far. */
  requests = 0
  /** Requests counted and not finished yet, for `$pipe`. */
  pending = 0
}

type WithState = object & { [kState]?: SocketState }

/** The socket's state, created on first use. */
export function socketState (socket: object): SocketState {
  const s = socket as WithState
  let state = s[kState]
  if (state === undefined) {
    state = new SocketState()
    s[kState] = state
  }
  return state
}

/** The socket's state if it has one, without creating it. */
export function existingSocketState (socket: object): SocketState | undefined {
  return (socket as WithState)[kState]
}
