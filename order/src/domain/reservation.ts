import { type Order, type StockLine, sameStockLines, stockLines } from './order.ts'
import { STOCK_HELD } from './status.ts'

/**
 * What the catalog was asked to hold, or holds, for one order: the order service's record of the
 * stock side. It outlives the order itself, so that an answer arriving after the order was deleted
 * can still be released.
 *
 * The rule that keeps stock answers unambiguous (stock.reserved and stock.rejected carry only the
 * order id): an order has at most ONE request outstanding. `order.placed` is emitted when the
 * order is created, and again only after the catalog has answered the previous one. So every
 * answer belongs to the one outstanding request, whose lines are stored here.
 *
 * Editing the items of a pending order therefore emits nothing at once. When the answer comes:
 * - reserved, and the order still has the placed lines: the order is confirmed;
 * - reserved, but the lines were edited meanwhile: the reserved stock is released
 *   (`order.cancelled` with the placed lines) and the current lines are placed again
 *   (`order.placed`); the order stays pending until that answer;
 * - rejected, lines unchanged: the order is rejected; lines edited: the current lines are placed
 *   again (the rejection was about lines the customer no longer wants);
 * - reserved, but the order was cancelled or deleted meanwhile: the stock is released;
 * - rejected, order cancelled or deleted: nothing is held, the request is forgotten.
 *
 * A request that stays unanswered (its order.placed lost: the catalog's queue purged, its consumer
 * away) is sent again, the very same envelope, every ORDER_PENDING_TIMEOUT_SECONDS, and after
 * ORDER_PENDING_MAX_ATTEMPTS sends the order is rejected (`reservation_timeout`): see
 * app/retry-stalled.ts. Its record stays `requested` then, so an answer that still comes is
 * released (reserved) or dropped (rejected) like any answer to a closed order's request.
 */
export interface Reservation {
  readonly orderId: number
  /** requested: order.placed sent, no answer yet; reserved: the catalog holds the stock. */
  readonly state: 'requested' | 'reserved'
  /** The lines as placed: what the catalog was asked to reserve. */
  readonly items: readonly StockLine[]
  /** The id of the order.placed that asked (requested; null when unknown): the event sent again. */
  readonly requestId?: string | null
  /** How many times that order.placed was sent (1 at first). */
  readonly attempts?: number
}

/** The history reason of an order rejected because the catalog never answered its request. */
export const RESERVATION_TIMEOUT = 'reservation_timeout'

/** What to do with a request still unanswered after the timeout: send it again, or give up on it. */
export function onUnanswered(r: Reservation, maxAttempts: number): 'resend' | 'time_out' {
  return (r.attempts ?? 1) >= maxAttempts ? 'time_out' : 'resend'
}

export type ReservedDecision =
  | { readonly kind: 'confirm' }
  | { readonly kind: 'replace'; readonly release: readonly StockLine[]; readonly place: readonly StockLine[] }
  | { readonly kind: 'release'; readonly release: readonly StockLine[] }
  /** No request outstanding (a repeated or stray answer): nothing is known to act on. */
  | { readonly kind: 'ignore' }

export type RejectedDecision =
  | { readonly kind: 'reject' }
  | { readonly kind: 'replace'; readonly place: readonly StockLine[] }
  | { readonly kind: 'drop' }
  | { readonly kind: 'ignore' }

/** The outstanding request; a pending order without a record counts as having placed its current lines. */
function outstanding(order: Order | undefined, r: Reservation | undefined): Reservation | undefined {
  if (r) return r.state === 'requested' ? r : undefined
  return order?.status === 'pending'
    ? { orderId: order.id, state: 'requested', items: stockLines(order.items) }
    : undefined
}

export function onReserved(order: Order | undefined, r: Reservation | undefined): ReservedDecision {
  const req = outstanding(order, r)
  if (!req) return { kind: 'ignore' }
  if (order?.status !== 'pending') return { kind: 'release', release: req.items }
  const current = stockLines(order.items)
  if (sameStockLines(current, req.items)) return { kind: 'confirm' }
  return { kind: 'replace', release: req.items, place: current }
}

export function onRejected(order: Order | undefined, r: Reservation | undefined): RejectedDecision {
  const req = outstanding(order, r)
  if (!req) return { kind: 'ignore' }
  if (order?.status !== 'pending') return { kind: 'drop' }
  const current = stockLines(order.items)
  if (sameStockLines(current, req.items)) return { kind: 'reject' }
  return { kind: 'replace', place: current }
}

/**
 * What cancelling or deleting an order gives back to the catalog: the reserved lines when it holds
 * stock for the order (`order.cancelled`), else nothing. An outstanding request is left in place:
 * its answer, when it comes, is released then (see onReserved).
 */
export function releaseOnClose(order: Order, r: Reservation | undefined): readonly StockLine[] | null {
  if (r) return r.state === 'reserved' ? r.items : null
  return STOCK_HELD.includes(order.status) ? stockLines(order.items) : null
}
