import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import type { AppEnv } from '../env.ts'

/**
 * The request headers a cross-origin caller may send: what our API reads, plus what browsers'
 * clients add. Swagger UI's Authorize (the OAuth2 password flow on another service's `/docs`)
 * posts to auth's login with `Accept` and `X-Requested-With`, which make the browser ask first;
 * a caching client revalidates catalog reads with `If-None-Match`.
 */
export const CORS_ALLOW_HEADERS = [
  'Accept',
  'Authorization',
  'Content-Type',
  'Idempotency-Key',
  'If-None-Match',
  'X-Request-Id',
  'X-Requested-With',
] as const

/**
 * CORS for the configured origins only: each is echoed back to itself, any other gets no
 * `Access-Control-Allow-Origin`. `*` is answered as `*` only when it is what was configured.
 * No credentials (cookies) are ever allowed: the API takes bearer tokens.
 */
export function corsFor(origins: readonly string[]): MiddlewareHandler<AppEnv> {
  return cors({
    origin: origins.includes('*') ? '*' : [...origins],
    allowHeaders: [...CORS_ALLOW_HEADERS],
    allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
    exposeHeaders: ['X-Request-Id', 'X-Total-Count', 'Link', 'Retry-After', 'Location', 'Idempotent-Replayed', 'ETag'],
    maxAge: 600,
  })
}
