/**
 * The shapes every service's application layer shares: paging, the clock, who asks (for the
 * correlation id of the events a use case causes), the event being consumed, and the outbox port.
 * Plain types (no framework), so domain and use-case code may import them.
 */
import type { DomainEvent } from './event-types.ts'

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

/** The event being handled: its id for the inbox, its correlation id for the events it causes. */
export interface EventMeta {
  readonly eventId: string
  readonly correlationId: string | null
}

/** Events recorded here are published after the transaction commits, and only then (the outbox). */
export interface Events {
  add(event: DomainEvent, correlationId: string | null): Promise<void>
}

/**
 * Every use case is a plain function `(deps, ...args)`; an application object lists them bound to
 * their dependencies: `const bind = bindTo(deps)`, then `placeOrder: bind(placeOrder)`.
 */
export const bindTo =
  <D>(deps: D) =>
  <A extends unknown[], R>(useCase: (deps: D, ...args: A) => R) =>
  (...args: A): R =>
    useCase(deps, ...args)
