/**
 * The shapes every service's application layer shares: paging, the clock, who asks (for the
 * correlation id of the events a use case causes), the event being consumed, and the outbox port.
 * Plain types (no framework), so domain and use-case code may import them.
 */
import type { DomainEvent } from './events.ts'

/** A page of a listing: `limit` rows from `offset`. */
export interface Page {
  readonly limit: number
  readonly offset: number
}

/** One page of rows and the total across all pages (`X-Total-Count`). */
export interface Paged<T> {
  readonly items: T[]
  readonly total: number
}

export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

/** Who asks, for the events they cause (`correlation_id`). */
export interface Ctx {
  readonly correlationId?: string | null
}

/** The correlation id a use case passes on to the events it records. */
export const corr = (ctx: Ctx): string | null => ctx.correlationId ?? null

/**
 * The request id of an HTTP request becomes the correlation id of the events it causes. Takes
 * anything with a `get('requestId')` (a Hono context), so the kernel needs no framework.
 */
export const ctxOf = (c: { get(key: 'requestId'): string }): Ctx => ({ correlationId: c.get('requestId') })

/** The event being handled: its id for the inbox, its correlation id for the events it causes. */
export interface EventMeta {
  readonly eventId: string
  readonly correlationId: string | null
}

/** Events recorded here are published after the transaction commits, and only then (the outbox). */
export interface Events {
  /** Records an event; resolves with its id (its envelope's). */
  add(event: DomainEvent, correlationId: string | null): Promise<string>
  /**
   * Publishes an event recorded earlier once more, as it was: the same envelope, so the same id,
   * which the consumers' inboxes apply at most once. False when it is no longer recorded.
   */
  again(eventId: string): Promise<boolean>
}

/** A use case: a plain function of its dependencies and then its own arguments. */
type UseCase<D> = (deps: D, ...args: never[]) => unknown

/** The use cases of `U`, each with its dependencies given: what callers of an application see. */
export type Bound<D, U extends Record<string, UseCase<D>>> = {
  readonly [K in keyof U]: U[K] extends (deps: D, ...args: infer A) => infer R ? (...args: A) => R : never
}

/**
 * Every use case is a plain function `(deps, ...args)`; an application object lists them by name,
 * each bound to the service's dependencies: `commands: bindAll(deps, { placeOrder, updateOrder })`.
 */
export function bindAll<D, U extends Record<string, UseCase<D>>>(deps: D, useCases: U): Bound<D, U> {
  const bound: Record<string, (...args: unknown[]) => unknown> = {}
  for (const [name, useCase] of Object.entries(useCases)) bound[name] = (...args) => useCase(deps, ...(args as never[]))
  return bound as Bound<D, U>
}
