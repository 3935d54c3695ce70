import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../env.ts'

/** Every response, errors included, tells browsers not to guess its content type. */
export function noSniff(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next()
    c.header('X-Content-Type-Options', 'nosniff')
  }
}
