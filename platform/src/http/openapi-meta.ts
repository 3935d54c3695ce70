import type { MiddlewareHandler } from 'hono'
import type { GenericSchema } from 'valibot'

/**
 * Route metadata for the OpenAPI document. Middlewares carry it under this symbol; the document
 * is built afterwards by walking `app.routes` (the idea of hono-openapi, in a few lines).
 */
const SPEC = Symbol.for('shop.openapi.spec')

export type JsonSchema = Record<string, unknown>

export interface ResponseDoc {
  readonly description: string
  readonly schema?: GenericSchema
  /**
   * Response headers, name → description. The document knows the value schema of the common
   * ones (X-Total-Count, Link, Location, ETag, Retry-After, ...); others are strings.
   */
  readonly headers?: Readonly<Record<string, string>>
}

export interface RouteDoc {
  /** Unique in the service, camelCase: the name a generated client gives the call. */
  readonly operationId: string
  readonly summary: string
  readonly description: string
  readonly tags?: readonly string[]
  readonly responses: Readonly<Record<number, ResponseDoc>>
  /**
   * Expected error statuses of this route, status → when it happens (the body is always a
   * Problem). Validation (422), body (400, 413, 415), token (401, 403) and 500 are added from the
   * route's middlewares; a description given here replaces the generic one.
   */
  readonly errors?: Readonly<
    Record<number, string | { readonly description: string; readonly headers?: Readonly<Record<string, string>> }>
  >
  readonly headers?: Readonly<Record<string, { description: string; schema?: GenericSchema }>>
}

/** An error's example: its code and detail, and any extension fields; status, title, instance and request id come. */
export interface ProblemExample {
  readonly code: string
  readonly detail: string
  readonly [extension: string]: unknown
}

/**
 * The examples of one operation, written from the seed's data (`make seed`): what a client sends and what it gets
 * back. Each is checked against its schema (tests/openapi/examples.test.ts).
 */
export interface OperationExamples {
  /** Path, query and header parameters by name, as a client sends them (the shared ones have defaults). */
  readonly parameters?: Readonly<Record<string, unknown>>
  /** The request body. */
  readonly request?: unknown
  /** The body of each success status that has one. */
  readonly responses?: Readonly<Record<number, unknown>>
  /** The problem of an error status, where the route's own code is not the status's usual one. */
  readonly problems?: Readonly<Record<number, ProblemExample>>
}

/** Examples by operationId. */
export type ExampleBook = Readonly<Record<string, OperationExamples>>

export type SpecPart =
  | { readonly kind: 'doc'; readonly doc: RouteDoc }
  | {
      readonly kind: 'input'
      readonly target: 'json' | 'query' | 'param'
      readonly schema: GenericSchema
      readonly form?: boolean
    }
  | { readonly kind: 'security'; readonly role?: string }

// biome-ignore lint/suspicious/noExplicitAny: any middleware, whatever its env, path and input
export function withSpec<M extends MiddlewareHandler<any, any, any>>(mw: M, part: SpecPart): M {
  Object.defineProperty(mw, SPEC, { value: part, enumerable: false })
  return mw
}

export const specOf = (fn: unknown): SpecPart | undefined =>
  typeof fn === 'function' ? ((fn as unknown as Record<symbol, SpecPart>)[SPEC] ?? undefined) : undefined

/** Documents a route; does nothing at run time. */
export const describeRoute = (doc: RouteDoc): MiddlewareHandler =>
  withSpec(
    async (_c, next) => {
      await next()
    },
    { kind: 'doc', doc },
  )

const wireSchemas = new WeakMap<GenericSchema, JsonSchema>()

/**
 * Declares what a path or query value parsed from a string looks like to a client: `idString`
 * reads "42" but a client sends an integer, so the document says `{type: integer, minimum: 1}`.
 * Validation is unchanged (the server still parses the string).
 */
export function wire<S extends GenericSchema>(schema: S, json: JsonSchema): S {
  wireSchemas.set(schema, json)
  return schema
}

export const wireOf = (schema: GenericSchema): JsonSchema | undefined => wireSchemas.get(schema)
