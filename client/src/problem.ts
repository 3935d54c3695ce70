import type { components as AuthComponents } from './generated/auth.js'
import type { components as CatalogComponents } from './generated/catalog.js'
import type { components as OrderComponents } from './generated/order.js'

/** The problem+json every service answers an error with (RFC 9457, with our `code`), and each service's fields. */
export type Problem = AuthComponents['schemas']['Problem'] &
  Partial<CatalogComponents['schemas']['Problem']> &
  Partial<OrderComponents['schemas']['Problem']>

/** What the `code` of a refused token says (the `WWW-Authenticate` challenge says the same). */
export type TokenProblemCode = 'UNAUTHENTICATED' | 'TOKEN_INVALID' | 'TOKEN_EXPIRED' | 'TOKEN_REVOKED'

/**
 * A failed call: the problem the service answered, as an error to throw and catch. `status`, `code` (stable, for a
 * program to act on: `TOKEN_EXPIRED` means log in again, `SKU_TAKEN` another SKU...), `detail` (for a person),
 * `instance` (the path) and `requestId` (quote it when reporting a problem); `problem` holds the rest (`errors`,
 * `product_ids`, `current_status`...).
 */
export class ShopProblem extends Error {
  readonly status: number
  readonly code: string
  readonly detail: string
  readonly instance: string | undefined
  readonly requestId: string | undefined
  /** `Retry-After` in seconds, on a 429. */
  readonly retryAfter: number | undefined

  constructor(
    readonly problem: Problem,
    readonly response: Response,
  ) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`)
    this.name = 'ShopProblem'
    this.status = problem.status
    this.code = problem.code
    this.detail = problem.detail
    this.instance = problem.instance
    this.requestId = problem.request_id ?? response.headers.get('X-Request-Id') ?? undefined
    const retry = Number(response.headers.get('Retry-After'))
    this.retryAfter = Number.isFinite(retry) && retry > 0 ? retry : undefined
  }

  /** The problem of an answer that is not a 2xx; one that is not problem+json becomes one with code `HTTP_<status>`. */
  static from(response: Response, body: unknown): ShopProblem {
    if (isProblem(body)) return new ShopProblem(body, response)
    const status = response.status
    const problem: Problem = {
      type: 'about:blank',
      title: response.statusText || 'Error',
      status,
      detail: typeof body === 'string' && body ? body : `the service answered ${status}`,
      code: `HTTP_${status}`,
      instance: new URL(response.url || 'http://x/').pathname,
      request_id: response.headers.get('X-Request-Id') ?? '',
    }
    return new ShopProblem(problem, response)
  }

  /** Whether the token was refused (401) and why: the one to log in again for is any of them. */
  get tokenRefused(): TokenProblemCode | undefined {
    return this.status === 401 && /^(UNAUTHENTICATED|TOKEN_[A-Z]+)$/.test(this.code)
      ? (this.code as TokenProblemCode)
      : undefined
  }
}

function isProblem(body: unknown): body is Problem {
  if (!body || typeof body !== 'object') return false
  const b = body as Record<string, unknown>
  return typeof b.status === 'number' && typeof b.code === 'string' && typeof b.detail === 'string'
}

/** Whether `e` is a problem, with that `code` when one is given. */
export const isShopProblem = (e: unknown, code?: string): e is ShopProblem =>
  e instanceof ShopProblem && (code === undefined || e.code === code)
