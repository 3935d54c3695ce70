import { dirname, join } from 'node:path'
import { Hono, type Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import { HTTPException } from 'hono/http-exception'
import type { Logger } from '../log.ts'
import type { Principal } from './auth.ts'
import { HttpProblem, fromHttpProblem, problemResponse } from './problem.ts'
import { OPENAPI_DOCUMENT, type OpenApiInfo, buildOpenApi, docsHtml } from './openapi.ts'

export type AppEnv = {
  Variables: { requestId: string; log: Logger; principal: Principal }
  Bindings: { requestIP?: (req: Request) => { address: string } | null }
}

export interface HttpAppOptions {
  readonly service: string
  readonly log: Logger
  readonly bodyLimit: number
  /** Allowed CORS origins; empty or absent means no CORS headers (never `*` unless configured). */
  readonly corsOrigins?: readonly string[]
  /** Readiness checks by name (database, broker): each resolves when usable, rejects when not. */
  readonly ready?: Readonly<Record<string, () => Promise<unknown>>>
  readonly docs: OpenApiInfo
}

const REQUEST_ID = /^[A-Za-z0-9._:@\-]{1,128}$/

/** The only detail a client gets of an unexpected failure; the log has the rest, under the request id. */
export const INTERNAL_ERROR_DETAIL = 'an unexpected error occurred; quote the request id when reporting it'

const swaggerDir = dirname(Bun.resolveSync('swagger-ui-dist/package.json', import.meta.dir))
const docAssets: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
}

/**
 * A Hono app with everything a service shares: request ids, request logs, body limit, CORS,
 * problem+json errors, health, OpenAPI and docs. The service adds its routes, then the app is done:
 * the OpenAPI document is built from them on first request.
 */
export function createHttpApp(opts: HttpAppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>({ strict: false })

  app.use('*', async (c, next) => {
    const started = performance.now()
    const inbound = c.req.header('X-Request-Id')
    const requestId = inbound && REQUEST_ID.test(inbound) ? inbound : crypto.randomUUID()
    const log = opts.log.child({ request_id: requestId })
    c.set('requestId', requestId)
    c.set('log', log)
    try {
      await next()
    } catch (e) {
      // Hono hands only Error instances to onError; anything else thrown (a string, a plain
      // object from some library) would escape to the server's default error page, message and all.
      c.res = unexpected(c, e)
    }
    c.header('X-Request-Id', requestId)
    c.header('X-Content-Type-Options', 'nosniff')
    const fields = { method: c.req.method, path: c.req.path, status: c.res.status, duration_ms: Math.round((performance.now() - started) * 100) / 100 }
    if (c.req.path.startsWith('/health')) log.debug('request', fields)
    else log.info('request', fields)
  })

  if (opts.corsOrigins?.length) {
    app.use(
      '*',
      cors({
        origin: [...opts.corsOrigins],
        allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
        allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
        exposeHeaders: ['X-Request-Id', 'X-Total-Count', 'Link', 'Retry-After', 'Location'],
        maxAge: 600,
      }),
    )
  }

  app.use(
    '*',
    bodyLimit({
      maxSize: opts.bodyLimit,
      onError: (c) => problemResponse(c, 413, 'BODY_TOO_LARGE', `the request body exceeds ${opts.bodyLimit} bytes`),
    }),
  )

  const unexpected = (c: Context<AppEnv>, e: unknown): Response => {
    ;(c.get('log') ?? opts.log).error('unhandled error', { error: e, method: c.req.method, path: c.req.path })
    return problemResponse(c, 500, 'INTERNAL_ERROR', INTERNAL_ERROR_DETAIL)
  }

  app.onError((e, c) => {
    if (e instanceof HttpProblem) return fromHttpProblem(c, e)
    if (e instanceof HTTPException && e.status < 500) {
      return problemResponse(c, e.status, 'BAD_REQUEST', e.message || 'the request could not be processed')
    }
    return unexpected(c, e)
  })

  let allowed: ((path: string) => string[]) | undefined
  app.notFound((c) => {
    allowed ??= methodIndex(app)
    const methods = allowed(c.req.path)
    if (methods.length) {
      return problemResponse(c, 405, 'METHOD_NOT_ALLOWED', `${c.req.method} is not allowed on ${c.req.path}`, {}, { Allow: methods.join(', ') })
    }
    return problemResponse(c, 404, 'NOT_FOUND', `no resource at ${c.req.path}`)
  })

  app.get('/health', (c) => c.json({ status: 'ok' }))
  app.get('/health/ready', async (c) => {
    const checks: Record<string, 'up' | 'down'> = {}
    await Promise.all(
      Object.entries(opts.ready ?? {}).map(async ([name, check]) => {
        try {
          await withTimeout(check(), 2000)
          checks[name] = 'up'
        } catch (e) {
          checks[name] = 'down'
          c.get('log').warn('readiness check failed', { check: name, error: e })
        }
      }),
    )
    const down = Object.keys(checks).filter((k) => checks[k] === 'down')
    if (down.length) return problemResponse(c, 503, 'NOT_READY', `not ready: ${down.join(', ')} down`, { checks })
    return c.json({ status: 'ok', checks })
  })

  let document: string | undefined
  const openApiText = () => (document ??= JSON.stringify(buildOpenApi(app, opts.docs)))
  Object.defineProperty(app, OPENAPI_DOCUMENT, { value: openApiText, enumerable: false })
  app.get('/openapi.json', (c) => c.body(openApiText(), 200, { 'Content-Type': 'application/json; charset=utf-8' }))
  app.get('/docs', (c) => c.html(docsHtml(opts.docs.title)))
  app.get('/docs/assets/:file', (c) => {
    const type = docAssets[c.req.param('file')]
    if (!type) return problemResponse(c, 404, 'NOT_FOUND', `no resource at ${c.req.path}`)
    return new Response(Bun.file(join(swaggerDir, c.req.param('file'))), {
      headers: { 'Content-Type': type, 'Cache-Control': 'public, max-age=86400' },
    })
  })
  return app
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout>
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)
    }),
  ])
}

/** For 405: which methods would have matched this path. Built once from the registered routes. */
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
