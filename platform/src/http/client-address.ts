import type { Context } from 'hono'
import type { AppEnv } from './env.ts'

/**
 * The client address for rate limits: the socket peer, or, behind a trusted proxy, the last
 * X-Forwarded-For hop: the one that proxy appended. The first hops are whatever the client sent
 * (a proxy appends to the header it receives), so taking the first would let a client pick a new
 * address for every attempt and never meet the per-address limit.
 */
export function clientAddress(c: Context<AppEnv>, trustProxy: boolean): string {
  if (trustProxy) {
    const fwd = c.req.header('X-Forwarded-For')?.split(',').at(-1)?.trim()
    if (fwd) return fwd
  }
  return c.env?.requestIP?.(c.req.raw)?.address ?? 'unknown'
}
