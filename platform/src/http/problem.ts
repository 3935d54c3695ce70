import type { Context } from 'hono'

export interface FieldError {
  readonly path: string
  readonly message: string
}

/**
 * RFC 9457 problem details, plus our stable machine-readable `code`; `instance` (the request's path) and
 * `request_id` (its `X-Request-Id`, also in the service's log lines) on every problem a service's app answers.
 */
export interface Problem {
  readonly type: string
  readonly title: string
  readonly status: number
  readonly detail: string
  readonly code: string
  readonly instance?: string
  readonly request_id?: string
  readonly errors?: readonly FieldError[]
  readonly [extra: string]: unknown
}

/**
 * The titles are the reason phrases Bun's server writes on the status line, so that the two agree:
 * Bun (1.4) writes its own phrase whatever `statusText` a Response carries, and for 413 and 422 that
 * is still RFC 7231's ("Payload Too Large", "Unprocessable Entity"), not RFC 9110's newer names.
 */
const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

/**
 * A 422 that names the offending field in `errors`, as the validation failures do. `detail` is the
 * field's message unless given; `extra` adds members (e.g. the ids at fault).
 */
export function fieldProblem(
  code: string,
  path: string,
  message: string,
  o: { detail?: string; extra?: Record<string, unknown> } = {},
): HttpProblem {
  return new HttpProblem(422, code, o.detail ?? message, { errors: [{ path, message }], ...o.extra })
}

/** A body the schema accepted but a rule of the domain refuses, told as a validation failure of one field. */
export const invalidBody = (path: string, message: string): HttpProblem =>
  fieldProblem('VALIDATION_FAILED', path, message, { detail: 'the request body is invalid' })

export const statusTitle = (status: number): string => titles[status] ?? 'Error'

/**
 * An HTTP-level failure raised by the edge (validation, auth, parsing) and rendered by the
 * app's error handler. Domain errors never use this: they are returned and mapped in one place.
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly extra: { errors?: readonly FieldError[]; headers?: Record<string, string>; [k: string]: unknown } = {},
  ) {
    super(detail)
    this.name = 'HttpProblem'
  }
}

export function problemBody(
  status: number,
  code: string,
  detail: string,
  extra: Record<string, unknown> = {},
): Problem {
  return { type: 'about:blank', title: statusTitle(status), status, detail, code, ...extra }
}

/**
 * The path of a request URL as it was sent, not decoded for routing, made a valid URI reference: a character a path
 * may not hold (and a `%` that starts no escape) is percent-encoded. Never throws.
 */
const instanceOf = (url: string): string => {
  const start = url.indexOf('/', url.indexOf('://') + 3)
  if (start < 0) return '/'
  const end = url.slice(start).search(/[?#]/)
  const path = end < 0 ? url.slice(start) : url.slice(start, start + end)
  return path
    .replace(/%(?![0-9A-Fa-f]{2})/g, '%25')
    .replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/gu, (ch) =>
      [...new TextEncoder().encode(ch)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
    )
}

export function problemResponse(
  c: Context,
  status: number,
  code: string,
  detail: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  const requestId = c.get('requestId' as never) as string | undefined
  // The path as sent (percent-encoded: a URI reference), not as decoded for routing.
  const where = { instance: instanceOf(c.req.url), ...(requestId ? { request_id: requestId } : {}) }
  const body = JSON.stringify(problemBody(status, code, detail, { ...where, ...extra }))
  const h = new Headers(headers)
  h.set('Content-Type', 'application/problem+json')
  if (requestId) h.set('X-Request-Id', requestId)
  // statusText for in-process callers (app.request) and for a server that writes it; Bun's says the same.
  return new Response(body, { status, statusText: statusTitle(status), headers: h })
}

export function fromHttpProblem(c: Context, p: HttpProblem): Response {
  const { headers, ...extra } = p.extra
  if (p.status === 401) {
    return problemResponse(c, p.status, p.code, p.detail, extra, { 'WWW-Authenticate': 'Bearer', ...headers })
  }
  return problemResponse(c, p.status, p.code, p.detail, extra, headers)
}

/**
 * Makes the one unwrapping helper of a service's routes from its error mapping: a route writes
 * `const order = unwrap(await app.commands.placeOrder(...))`, and an expected error becomes the
 * problem its mapping says (thrown, rendered by the app's error handler).
 */
export const unwrapWith =
  <E>(toProblem: (e: E) => HttpProblem) =>
  <T>(r: { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E }): T => {
    if (!r.ok) throw toProblem(r.error)
    return r.value
  }
