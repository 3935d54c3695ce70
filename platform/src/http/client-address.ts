import { isIP } from 'node:net'
import type { Context } from 'hono'
import type { AppEnv } from './env.ts'

/**
 * Whose X-Forwarded-For to believe: nobody's (false), any peer's (true: only a proxy can reach the
 * service), or only these peers' addresses (a proxy beside untrusted clients, e.g. HAProxy in
 * front of `INSTANCES=N make start`, connecting from its own loopback address).
 */
export type TrustProxy = boolean | readonly string[]

/** A peer address as Bun reports it, IPv4-mapped IPv6 (`::ffff:127.0.0.2`) read as IPv4. */
const plain = (address: string) => address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '')

/**
 * The client address for rate limits: the socket peer, or, behind a trusted proxy, the last
 * X-Forwarded-For hop: the one that proxy appended. The first hops are whatever the client sent
 * (a proxy appends to the header it receives), so taking the first would let a client pick a new
 * address for every attempt and never meet the per-address limit. With a list of proxies, the
 * header counts only on a connection from one of them: any other peer is the client itself. The
 * hop counts only when it parses as an IP address (v4 or v6): any other text (a name, garbage, a
 * 6,000-character string) would be a throttle key of the sender's choosing, so the peer is taken.
 */
export function clientAddress(c: Context<AppEnv>, trustProxy: TrustProxy): string {
  const peer = c.env?.requestIP?.(c.req.raw)?.address
  const trusted = Array.isArray(trustProxy) ? !!peer && trustProxy.includes(plain(peer)) : trustProxy === true
  if (trusted) {
    const fwd = c.req.header('X-Forwarded-For')?.split(',').at(-1)?.trim()
    if (fwd && isIP(fwd)) return plain(fwd.toLowerCase())
  }
  return peer ? plain(peer) : 'unknown'
}
