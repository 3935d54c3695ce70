import { Hono } from 'hono'
import type { Logger } from '../log.ts'
import { httpTelemetry, serveMetrics } from './middleware/telemetry.ts'
import type { ServiceMetrics } from '../observability/metrics.ts'
import { tracingOn } from '../observability/tracing.ts'
import type { AppEnv } from './env.ts'
import { accessLog } from './middleware/access-log.ts'
import { limitBody } from './middleware/body-limit.ts'
import { corsFor } from './middleware/cors.ts'
import { docs } from './middleware/docs.ts'
import { catchNonErrors, notFoundOrNotAllowed, problemOnError } from './middleware/errors.ts'
import { type ReadyChecks, health } from './middleware/health.ts'
import { noSniff } from './middleware/no-sniff.ts'
import { requestId } from './middleware/request-id.ts'
import type { OpenApiInfo } from './openapi.ts'

export type { AppEnv } from './env.ts'
export { clientAddress } from './client-address.ts'
export { INTERNAL_ERROR_DETAIL } from './middleware/errors.ts'

export interface HttpAppOptions {
  readonly service: string
  readonly log: Logger
  readonly bodyLimit: number
  /** Allowed CORS origins; empty or absent means no CORS headers (never `*` unless configured). */
  readonly corsOrigins?: readonly string[]
  readonly ready?: ReadyChecks
  readonly docs: OpenApiInfo
  /** The service's metrics: counted per request and served at GET /metrics. Absent: neither. */
  readonly metrics?: ServiceMetrics | undefined
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  readonly metricsToken?: string | undefined
}

/**
 * A Hono app with everything a service shares, composed from `./middleware`: request ids,
 * security headers, request logs, problem+json errors (404, 405 with `Allow`), CORS, body limit,
 * health and docs; and, outermost, the request's span and duration metric, with GET /metrics. The service adds its
 * routes, then the app is done: the OpenAPI document is
 * built from them on first request.
 */
export function createHttpApp(opts: HttpAppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>({ strict: false })
  // Around everything, the request log line included (it then carries the trace id). With
  // neither metrics nor tracing there is nothing to do per request, and no middleware.
  if (opts.metrics || tracingOn()) app.use('*', httpTelemetry(opts.metrics))
  // Outermost first: the id and headers wrap everything, the log sees the final status, and
  // whatever a route throws is a problem+json response before either of them looks at it.
  app.use('*', requestId(opts.log), noSniff(), accessLog(), catchNonErrors(opts.log))
  if (opts.corsOrigins?.length) app.use('*', corsFor(opts.corsOrigins))
  app.use('*', limitBody(opts.bodyLimit))
  app.onError(problemOnError(opts.log))
  app.notFound(notFoundOrNotAllowed(app))
  app.route('/health', health(opts.ready))
  if (opts.metrics) serveMetrics(app, { metrics: opts.metrics, token: opts.metricsToken })
  app.route('/', docs(app, opts.docs))
  return app
}
