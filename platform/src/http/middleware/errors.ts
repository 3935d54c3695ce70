import type { Context, ErrorHandler, Hono, MiddlewareHandler, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { Logger } from '../../log.ts'
import type { AppEnv } from '../env.ts'
import { HttpProblem, fromHttpProblem, problemResponse } from '../problem.ts'
import { statementTimeoutOf } from '../../statement-timeout.ts'

/** The only detail a client gets of an unexpected failure; the log has the rest, under the request id. */
export const INTERNAL_ERROR_DETAIL = 'an unexpected error occurred; quote the request id when reporting it'

function unexpected(c: Context<AppEnv>, e: unknown, log: Logger): Response {
  ;(c.get('log') ?? log).error('unhandled error', { error: e, method: c.req.method, path: c.req.path })
  return problemResponse(c, 500, 'INTERNAL_ERROR', INTERNAL_ERROR_DETAIL)
}

export const STATEMENT_TIMEOUT_DETAIL =
  'the database took longer than this service allows a request (STATEMENT_TIMEOUT_MS) and the work was cancelled; ' +
  'try again later'

/**
 * Errors to problem+json: our problems as they are, Hono's client errors as 400-range, a statement
 * cancelled by the statement timeout as 503 STATEMENT_TIMEOUT, anything else a logged 500.
 */
export function problemOnError(log: Logger): ErrorHandler<AppEnv> {
  return (e, c) => {
    if (e instanceof HttpProblem) return fromHttpProblem(c, e)
    if (e instanceof HTTPException && e.status < 500) {
      return problemResponse(c, e.status, 'BAD_REQUEST', e.message || 'the request could not be processed')
    }
    if (statementTimeoutOf(e)) {
      ;(c.get('log') ?? log).warn('statement timeout', { method: c.req.method, path: c.req.path })
      return problemResponse(c, 503, 'STATEMENT_TIMEOUT', STATEMENT_TIMEOUT_DETAIL, {}, { 'Retry-After': '1' })
    }
    return unexpected(c, e, log)
  }
}

/**
 * Hono hands only Error instances to the error handler; anything else thrown (a string, a plain
 * object from some library) would escape to the server's default error page, message and all.
 * This turns it into the same logged 500.
 */
export function catchNonErrors(log: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    try {
      await next()
    } catch (e) {
      c.res = unexpected(c, e, log)
    }
  }
}

/** No route matched: 405 with `Allow` when the path exists under other methods, else 404. */
// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its env, routes and base path
export function notFoundOrNotAllowed(app: Hono<any, any, any>): NotFoundHandler<AppEnv> {
  let allowed: ((path: string) => string[]) | undefined
  return (c) => {
    allowed ??= methodIndex(app)
    const methods = allowed(c.req.path)
    if (methods.length) {
      return problemResponse(
        c,
        405,
        'METHOD_NOT_ALLOWED',
        `${c.req.method} is not allowed on ${c.req.path}`,
        {},
        { Allow: methods.join(', ') },
      )
    }
    return problemResponse(c, 404, 'NOT_FOUND', `no resource at ${c.req.path}`)
  }
}

/** Which methods would have matched a path. Built once, on the first miss, from the registered routes. */
// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its env, routes and base path
function methodIndex(app: Hono<any, any, any>): (path: string) => string[] {
  const routes = app.routes
    .filter((r) => r.method !== 'ALL')
    .map((r) => {
      const source = r.path
        .replace(/\/$/, '')
        .split('/')
        .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/')
      return { method: r.method, re: new RegExp(`^${source}/?$`) }
    })
  return (path) => {
    const methods = new Set<string>()
    for (const r of routes) if (r.re.test(path)) methods.add(r.method)
    if (methods.has('GET')) methods.add('HEAD')
    return [...methods]
  }
}
