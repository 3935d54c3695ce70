import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import type { AppEnv } from '../env.ts'

/** CORS for the configured origins only (never `*` unless configured), with the headers our API reads and sends. */
export function corsFor(origins: readonly string[]): MiddlewareHandler<AppEnv> {
  return cors({
    origin: [...origins],
    allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-None-Match', 'X-Request-Id'],
    allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
    exposeHeaders: ['X-Request-Id', 'X-Total-Count', 'Link', 'Retry-After', 'Location', 'ETag'],
    maxAge: 600,
  })
}
