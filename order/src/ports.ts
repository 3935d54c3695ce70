import type { Clock, Events, Page, Paged } from '@shop/kernel/app'
import type { Inbox } from '@shop/kernel/inbox'
import type { Result } from '@shop/kernel/result'
import type { StatusChange } from './domain/history.ts'
import type { NewOrder, Order } from './domain/order.ts'
import type { ReplicaProduct } from './domain/product.ts'
import type { Reservation } from './domain/reservation.ts'
import type { OrderStatus } from './domain/status.ts'

export interface OrderFilter {
  readonly userId?: string | undefined
  readonly status?: OrderStatus | undefined
}

/** The order store: orders with their lines. */
export interface Orders {
  /** `lock` holds the row until the transaction ends, so two changes of one order cannot both pass a status check. */
  byId(id: number, lock?: boolean): Promise<Order | undefined>
  /** Newest first (created_at, then id, descending). */
  list(filter: OrderFilter, page: Page): Promise<Paged<Order>>
  /** A user's orders in the given statuses, oldest first, locked inside a transaction. */
  ofUser(userId: string, statuses: readonly OrderStatus[], lock?: boolean): Promise<Order[]>
  /** Stores a new order under a fresh id. */
  insert(order: NewOrder): Promise<Order>
  /**
   * Writes status, lines, totals, shipping address and updated_at over the row with its id.
   * `{ lines: false }` says the lines are those stored (a status change): they are not rewritten.
   */
  update(order: Order, o?: { readonly lines?: boolean }): Promise<Order>
  /** Deletes the order, its lines and its history. */
  remove(id: number): Promise<boolean>
}

export interface History {
  add(change: StatusChange): Promise<void>
  /** Oldest first. */
  of(orderId: number): Promise<StatusChange[]>
}

/** The replica of the catalog's products, fed by product.* events. */
export interface Products {
  byIds(ids: readonly number[]): Promise<Map<number, ReplicaProduct>>
  /**
   * Stores `product` when it supersedes what is held (domain/product.ts: newer version, and no
   * tombstone), atomically even against a concurrent apply. True when it was stored.
   */
  apply(product: ReplicaProduct): Promise<boolean>
}

export type KeyClaim =
  | { readonly claimed: true }
  /** The key was used before: the fingerprint of that request and its order (null once deleted). */
  | { readonly claimed: false; readonly fingerprint: string; readonly orderId: number | null }

/** Idempotency keys, unique per (user, key). */
export interface IdempotencyKeys {
  /**
   * Records the key for the user, unless the user has used it before. A concurrent claim of the
   * same key waits for the first to commit or roll back, so exactly one creates an order.
   */
  claim(k: { userId: string; key: string; fingerprint: string; at: Date }): Promise<KeyClaim>
  /** Links a claimed key to the order it created. */
  attach(userId: string, key: string, orderId: number): Promise<void>
}

/** What the catalog was asked to hold, or holds, per order (see domain/reservation.ts). */
export interface Reservations {
  byOrder(orderId: number, lock?: boolean): Promise<Reservation | undefined>
  /** Writes the record; a `requested` one counts as sent now (its attempts as given, else 1). */
  put(r: Reservation): Promise<void>
  remove(orderId: number): Promise<void>
  /**
   * The order's request if it is still unanswered `seconds` after it was last sent, locked; none
   * when it was answered or sent again meanwhile, or another transaction holds it (skipped, not
   * waited for: instances sharing the work never handle one request twice).
   */
  stale(orderId: number, seconds: number): Promise<Reservation | undefined>
  /** The request was sent again now: one attempt more. */
  resent(orderId: number): Promise<void>
}

export interface OrderTx {
  readonly orders: Orders
  readonly history: History
  readonly products: Products
  readonly keys: IdempotencyKeys
  readonly reservations: Reservations
  /** The outbox: published after the transaction commits, and only then. */
  readonly events: Events
  /** Idempotent consumers: an event id claimed inside the effect's transaction is never applied twice. */
  readonly inbox: Inbox
}

export interface OrderStore {
  /** Reads outside any transaction. */
  readonly orders: Orders
  readonly history: History
  readonly products: Products
  /** Orders whose request went unanswered for more than `seconds` since it was last sent, oldest first. */
  stalledRequests(seconds: number, limit: number): Promise<number[]>
  /** Runs `work` in one transaction: commits when it returns ok, rolls back when it returns an error or throws. */
  transact<T, E>(work: (tx: OrderTx) => Promise<Result<T, E>>): Promise<Result<T, E>>
}

/** What every order use case runs on: the store (its transactions carry the outbox and the inbox) and the clock. */
export interface OrderDeps {
  readonly store: OrderStore
  readonly clock: Clock
}
