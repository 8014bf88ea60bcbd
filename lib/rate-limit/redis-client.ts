import { Redis } from 'ioredis'

/**
 * The ioredis client of the rate-limit store, set up so that no request ever waits long for
 * Redis: a command that takes longer than `timeout` ms fails (and the request passes, counted);
 * while the connection is down, commands fail at once instead of queueing (the offline queue is
 * off, and a command caught by a dropped connection is not retried). The client reconnects by
 * itself, forever, backing off to 2 s between tries. `rediss://` verifies the server's
 * certificate against the system's CAs (Node's default; NODE_EXTRA_CA_CERTS adds a private CA).
 */
export function createRedisClient (url: string, timeout: number): Redis {
  return new Redis(url, {
    commandTimeout: timeout,
    // A connection attempt may take longer than one command (a TLS handshake to another host);
    // requests do not wait for it either way, since nothing queues while it is down.
    connectTimeout: Math.max(timeout, 1000),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: times => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    // Commands are only sent once connected and ready, and a failed one is not replayed.
    autoResendUnfulfilledCommands: false
  })
}
