/**
 * `fastify-waflog/gateway`: the gateway that `waf-gateway` runs, for programs that start it,
 * check a configuration or build the app themselves.
 */
export { runGateway } from './server.js'
export { checkGateway } from './check.js'
export type { CheckOutcome } from './check.js'
export { ConfigError, loadConfig, ENV_SETTINGS } from './config.js'
export type { GatewayConfig, LoadedConfig, DomainConfig, RouteConfig, Mode, ChannelName } from './config.js'
export { buildGateway, wafOptionsOf } from './gateway.js'
export type { GatewayOptions } from './gateway.js'
