export { SocketTransport } from './transport.js'
export { resolveChannel } from './options.js'
export type { ChannelConfig, Endpoint } from './options.js'
export type {
  Channel, ChannelDefaults, ChannelOptions, ChannelStats, DropCounts, LookupFunction, RetryOptions, RotateOptions,
  TlsOptions, Transport, TransportLogger, TransportOptions, TransportWarning
} from './types.js'
