import type { MiddlewareHandler } from 'hono'
import type { Logger } from '../../log.ts'
import type { AppEnv } from '../env.ts'

const REQUEST_ID = /^[A-Za-z0-9._:@-]{1,128}$/

/**
 * Gives every request an id: the caller's `X-Request-Id` when it looks like one, else a new UUID.
 * The id is set as `requestId`, a logger carrying it as `log`, and echoed in the response.
 */
export function requestId(log: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const inbound = c.req.header('X-Request-Id')
    const id = inbound && REQUEST_ID.test(inbound) ? inbound : crypto.randomUUID()
    c.set('requestId', id)
    c.set('log', log.child({ request_id: id }))
    await next()
    c.header('X-Request-Id', id)
  }
}
