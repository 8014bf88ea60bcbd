import os from 'node:os'

/**
 * The machine's name in every access and attack record (`node`, beside `worker`) and in every
 * heartbeat part (beside `wid`), so that records from several gateways stay apart in one
 * collector. The host name by default; any printable ASCII without spaces when configured.
 */

const NODE_NAME = /^[\x21-\x7e]{1,253}$/
export const NODE_NAME_RULE = '1 to 253 printable ASCII characters without spaces (such as a host name)'

export function isNodeName (name: string): boolean {
  return NODE_NAME.test(name)
}

/** The host name, or `localhost` where the OS has none. */
export function defaultNodeName (): string {
  const name = os.hostname()
  return NODE_NAME.test(name) ? name : 'localhost'
}

/** The `node` option checked (an error names `owner` and the option), or the default. */
export function resolveNodeName (owner: string, node: unknown): string {
  if (node === undefined) return defaultNodeName()
  if (typeof node !== 'string' || !NODE_NAME.test(node)) {
    throw new TypeError(`${owner}: option "node" must be ${NODE_NAME_RULE}, got ${JSON.stringify(node)}`)
  }
  return node
}
