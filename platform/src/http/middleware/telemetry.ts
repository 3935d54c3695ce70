import type { Context, Hono, MiddlewareHandler } from 'hono'
import { matchedRoutes } from 'hono/route'
import { timingSafeEqual } from 'node:crypto'
import { problemResponse } from '../problem.ts'
import type { ServiceMetrics } from '../../observability/metrics.ts'
import { SpanKind, failed, inSpan, tracingOn } from '../../observability/tracing.ts'

/** The label of a request no route matched (404, 405): never the raw path, which anyone can vary. */
export const UNMATCHED_ROUTE = 'unmatched'

/**
 * The route template that answered (`/api/v1/product/:id`), never the raw path: the last route
 * matched with a method (middleware is registered for ALL); none for a 404 or a 405.
 */
export function routeTemplate(c: Context): string {
  const routes = matchedRoutes(c)
  for (let i = routes.length - 1; i >= 0; i--) if (routes[i]!.method !== 'ALL') return routes[i]!.path
  return UNMATCHED_ROUTE
}

/**
 * The outermost middleware: a server span per request (continuing an incoming `traceparent`,
 * else starting a trace), so everything below, the request log line included, runs inside it;
 * then the request duration histogram by method, route template and status.
 */
export function httpTelemetry(metrics: Pick<ServiceMetrics, 'http'> | undefined): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now()
    // With tracing off, no span and none of its attributes (the path alone is a scan of the URL).
    if (!tracingOn()) await next()
    else
      await inSpan(
        c.req.method,
        {
          kind: SpanKind.SERVER,
          traceparent: c.req.header('traceparent') ?? null,
          attributes: { 'http.request.method': c.req.method, 'url.path': c.req.path },
        },
        async (span) => {
          await next()
          if (span) {
            const route = routeTemplate(c)
            span.updateName(`${c.req.method} ${route}`)
            span.setAttributes({ 'http.route': route, 'http.response.status_code': c.res.status })
            if (c.res.status >= 500) failed(span, `status ${c.res.status}`)
          }
        },
      )
    metrics?.http.observe(
      {
        http_request_method: c.req.method,
        http_route: routeTemplate(c),
        http_response_status_code: String(c.res.status),
      },
      (performance.now() - started) / 1000,
    )
  }
}

export interface MetricsEndpoint {
  readonly metrics: Pick<ServiceMetrics, 'expose' | 'contentType'>
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  readonly token?: string | undefined
}

/** GET /metrics in the Prometheus text format; with a token, 401 without the right bearer. */
// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its env, routes and base path
export function serveMetrics(app: Hono<any, any, any>, o: MetricsEndpoint): void {
  const expected = o.token ? Buffer.from(`Bearer ${o.token}`) : undefined
  app.get('/metrics', async (c) => {
    if (expected) {
      const given = Buffer.from(c.req.header('Authorization') ?? '')
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return problemResponse(
          c,
          401,
          'UNAUTHORIZED',
          'GET /metrics needs the metrics bearer token',
          {},
          { 'WWW-Authenticate': 'Bearer realm="metrics"' },
        )
      }
    }
    return c.body(await o.metrics.expose(), 200, { 'Content-Type': o.metrics.contentType, 'Cache-Control': 'no-store' })
  })
}
