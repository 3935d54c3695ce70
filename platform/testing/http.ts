import { expect } from 'bun:test'
import type { Hono } from 'hono'
import { sign } from 'hono/jwt'
import { JWT_AUDIENCE, JWT_ISSUER } from '../src/http/jwt.ts'
import { type Logger, silentLogger } from '../src/log.ts'
import type { ServiceMetrics } from '../src/observability/metrics.ts'
import { checkResponse } from './openapi-check.ts'

/** The JWT secret of every service's tests (so one test's tokens work in another service's app). */
export const TEST_SECRET = 'test-secret-that-is-at-least-32-bytes-long'

export interface TestHttpOptions {
  readonly log?: Logger
  readonly bodyLimit?: number
  readonly corsOrigins?: readonly string[]
  /** Metrics on (as boot does with METRICS_ENABLED): counted, and served at GET /metrics. */
  readonly metrics?: ServiceMetrics | undefined
}

/**
 * What a service's HTTP app is given in a test: the test secret, a silent log, 1 MiB bodies, no readiness checks, no
 * metrics unless given.
 */
export function testHttpOptions(service: string, o: TestHttpOptions = {}) {
  return {
    service,
    secret: TEST_SECRET,
    log: o.log ?? silentLogger,
    bodyLimit: o.bodyLimit ?? 1024 * 1024,
    ...(o.corsOrigins ? { corsOrigins: o.corsOrigins } : {}),
    ready: {},
    metrics: o.metrics,
  }
}

export interface Reply {
  readonly status: number
  /** The status line's reason phrase. */
  readonly statusText: string
  readonly headers: Headers
  readonly body: any
  readonly text: string
}

export interface CallOptions {
  readonly body?: unknown
  /** Sent as is (malformed JSON, forms). */
  readonly raw?: string
  readonly token?: string
  readonly headers?: Record<string, string>
  readonly address?: string
}

/**
 * One request through `app.request()`: the real Hono pipeline, no socket. The response is checked
 * against the app's OpenAPI document (openapi-check.ts): a mismatch fails the test.
 */
export async function call(
  app: Hono<any, any, any>,
  method: string,
  path: string,
  o: CallOptions = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) }
  if (o.token) headers.Authorization = `Bearer ${o.token}`
  let body: string | undefined
  if (o.raw !== undefined) body = o.raw
  else if (o.body !== undefined) {
    body = JSON.stringify(o.body)
    headers['Content-Type'] ??= 'application/json'
  }
  const env = { requestIP: () => ({ address: o.address ?? '127.0.0.1' }) }
  const res = await app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) }, env)
  const text = await res.text()
  const mismatches = checkResponse(app, method, path, res.status, res.headers, text)
  if (mismatches.length) throw new Error(`the response does not match the OpenAPI document:\n${mismatches.join('\n')}`)
  let parsed: unknown
  if (text && /json/.test(res.headers.get('Content-Type') ?? '')) parsed = JSON.parse(text)
  return { status: res.status, statusText: res.statusText, headers: res.headers, body: parsed, text }
}

/** `call` bound to one app: `const req = caller(app)`, then `req('GET', '/health')`. */
export const caller =
  (app: Hono<any, any, any>) =>
  (method: string, path: string, o?: CallOptions): Promise<Reply> =>
    call(app, method, path, o)

const b64url = (s: string) => Buffer.from(s).toString('base64url')

/** Token factory for tests, including the hostile kinds (alg none, wrong key, HS512, no exp...). */
export function tokenFactory(secret: string) {
  const now = () => Math.floor(Date.now() / 1000)
  const claims = (user: { id: string; username: string; role: string }, extra: Record<string, unknown> = {}) => ({
    sub: user.id,
    username: user.username,
    role: user.role,
    iat: now(),
    // An hour: tokens made when a support module loads are used by files run much later, and the
    // whole suite on a loaded machine takes more than 10 minutes (they had expired by then).
    exp: now() + 3600,
    iss: JWT_ISSUER,
    aud: JWT_AUDIENCE,
    ...extra,
  })
  return {
    valid: (user: { id: string; username: string; role: string }, extra: Record<string, unknown> = {}) =>
      sign(claims(user, extra), secret, 'HS256'),
    signed: (payload: Record<string, unknown>, key = secret, alg: 'HS256' | 'HS384' | 'HS512' = 'HS256') =>
      sign(payload, key, alg),
    claims,
    algNone: (user: { id: string; username: string; role: string }) =>
      `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify(claims(user)))}.`,
    withoutExp: (user: { id: string; username: string; role: string }) => {
      const { exp: _exp, ...rest } = claims(user)
      return sign(rest, secret, 'HS256')
    },
  }
}

/** A body sent as is, with its media type (malformed JSON, a form): `call(app, 'POST', path, rawBody('{"a": '))`. */
export const rawBody = (raw: string, contentType = 'application/json'): CallOptions => ({
  raw,
  headers: { 'Content-Type': contentType },
})

/** `r` is a `status` answer whose JSON body has (at least) the fields of `body`; the body is shown when it is not. */
export function expectReply(r: Reply, status: number, body: Record<string, unknown>): void {
  expect({ status: r.status, body: r.status === status ? undefined : r.body }).toEqual({ status, body: undefined })
  expect(r.body).toMatchObject(body)
}

/**
 * A service's health, readiness and OpenAPI routes: /health and /health/live answer `{status: "ok"}`,
 * /health/ready and /health/serving 200, /openapi.json an OpenAPI 3.1.0 document, which is returned
 * (its paths for the service's own checks).
 */
export async function expectServiceRoutes(req: ReturnType<typeof caller>): Promise<any> {
  expect((await req('GET', '/health')).body).toEqual({ status: 'ok' })
  expect((await req('GET', '/health/live')).body).toEqual({ status: 'ok' })
  expect((await req('GET', '/health/ready')).status).toBe(200)
  expect((await req('GET', '/health/serving')).status).toBe(200)
  const doc = await req('GET', '/openapi.json')
  expect(doc.body.openapi).toBe('3.1.0')
  return doc.body
}

/**
 * The documented statuses of an authenticated route with a JSON body, sorted as `Object.keys` of its responses: the
 * route's own, and those every such route has (400 malformed, 401 token, 413 too large, 415 not JSON, 422 invalid,
 * 500, 503).
 */
export const withBodyRouteStatuses = (...own: number[]): string[] =>
  [...own, 400, 401, 413, 415, 422, 500, 503].sort((a, b) => a - b).map(String)
