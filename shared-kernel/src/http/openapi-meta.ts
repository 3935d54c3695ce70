import type { MiddlewareHandler } from 'hono'
import type { GenericSchema } from 'valibot'

/**
 * Route metadata for the OpenAPI document. Middlewares carry it under this symbol; the document
 * is built afterwards by walking `app.routes` (the idea of hono-openapi, in a few lines).
 */
const SPEC = Symbol.for('shop.openapi.spec')

export interface ResponseDoc {
  readonly description: string
  readonly schema?: GenericSchema
  /** Response headers, name → description. */
  readonly headers?: Readonly<Record<string, string>>
}

export interface RouteDoc {
  readonly summary: string
  readonly description?: string
  readonly tags?: readonly string[]
  readonly responses: Readonly<Record<number, ResponseDoc>>
  /** Expected error statuses of this route, status → when it happens. */
  readonly errors?: Readonly<Record<number, string>>
  readonly headers?: Readonly<Record<string, { description: string; schema?: GenericSchema }>>
}

export type SpecPart =
  | { readonly kind: 'doc'; readonly doc: RouteDoc }
  | { readonly kind: 'input'; readonly target: 'json' | 'query' | 'param'; readonly schema: GenericSchema; readonly form?: boolean }
  | { readonly kind: 'security'; readonly role?: string }

export function withSpec<M extends MiddlewareHandler<any, any, any>>(mw: M, part: SpecPart): M {
  Object.defineProperty(mw, SPEC, { value: part, enumerable: false })
  return mw
}

export const specOf = (fn: unknown): SpecPart | undefined =>
  typeof fn === 'function' ? ((fn as unknown as Record<symbol, SpecPart>)[SPEC] ?? undefined) : undefined

/** Documents a route; does nothing at run time. */
export const describeRoute = (doc: RouteDoc): MiddlewareHandler =>
  withSpec(async (_c, next) => {
    await next()
  }, { kind: 'doc', doc })
