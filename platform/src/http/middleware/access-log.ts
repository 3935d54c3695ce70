import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../env.ts'

/**
 * One log line per request (method, path, status, duration) through the request's logger, so it
 * carries the request id: at info, except health probes and metric scrapes, which would drown
 * the rest, at debug.
 * Mounted after `requestId`.
 */
export function accessLog(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now()
    await next()
    const fields = {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: Math.round((performance.now() - started) * 100) / 100,
    }
    if (c.req.path.startsWith('/health') || c.req.path === '/metrics') c.get('log').debug('request', fields)
    else c.get('log').info('request', fields)
  }
}
