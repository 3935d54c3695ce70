import type { DomainEvent } from '@shop/kernel/events'

/** One product line of an order, as the order events carry it. */
export interface StockLine {
  readonly productId: number
  readonly quantity: number
}

export type ReservationStatus = 'reserved' | 'rejected' | 'released'

/**
 * The catalog's record of an order's stock: one row per order, in rounds. The order service has
 * at most one request outstanding per order and places an order again only after the previous
 * round ended (rejected, or reserved and then released by order.cancelled): see
 * order/src/domain/reservation.ts. So an order.placed for an order whose round has ended opens a
 * new round; one for an order whose stock is still reserved is either a repeat (same lines:
 * answered again) or a new round whose release has not been consumed yet (other lines: retried
 * later, see `placedAgain`).
 */
export interface Reservation {
  readonly orderId: number
  readonly status: ReservationStatus
  /** What was (or would have been) taken, merged per product. */
  readonly lines: readonly StockLine[]
  /** Why it was rejected, and which products were short, unknown or deleted (rejected only). */
  readonly reason: string | null
  readonly productIds: readonly number[]
  readonly createdAt: Date
  readonly updatedAt: Date
}

/**
 * One line per product, quantities summed, in product id order: the availability check must
 * see the total asked of a product, and taking row locks in one order keeps concurrent
 * reservations from deadlocking.
 */
export function mergeLines(lines: readonly StockLine[]): StockLine[] {
  const totals = new Map<number, number>()
  for (const l of lines) totals.set(l.productId, (totals.get(l.productId) ?? 0) + l.quantity)
  return [...totals].sort(([a], [b]) => a - b).map(([productId, quantity]) => ({ productId, quantity }))
}

export interface Shortage {
  /** Products that exist but have less than asked. */
  readonly short: readonly number[]
  /** Products that do not exist (never did, or deleted). */
  readonly unknown: readonly number[]
}

/** Which lines cannot be served from `stock` (product id → units on hand; absent = unknown). */
export function shortage(lines: readonly StockLine[], stock: ReadonlyMap<number, number>): Shortage {
  const short: number[] = []
  const unknown: number[] = []
  for (const l of lines) {
    const have = stock.get(l.productId)
    if (have === undefined) unknown.push(l.productId)
    else if (have < l.quantity) short.push(l.productId)
  }
  return { short, unknown }
}

export const hasShortage = (s: Shortage): boolean => s.short.length > 0 || s.unknown.length > 0

export function rejection(s: Shortage): { reason: string; productIds: number[] } {
  const productIds = [...s.short, ...s.unknown].sort((a, b) => a - b)
  const reason =
    s.short.length && s.unknown.length
      ? 'insufficient stock or unknown product'
      : s.unknown.length
        ? 'unknown product'
        : 'insufficient stock'
  return { reason, productIds }
}

const sameLines = (a: readonly StockLine[], b: readonly StockLine[]): boolean =>
  a.length === b.length && a.every((l, i) => l.productId === b[i]!.productId && l.quantity === b[i]!.quantity)

/**
 * An order.placed for an order whose stock is still reserved: `repeat` when it asks for the same
 * lines (answer again), `early` when it asks for others, i.e. the next round overtook the
 * order.cancelled that ends this one: refused for now, so the bus retries it after the release.
 */
export function placedAgain(held: Reservation, lines: readonly StockLine[]): 'repeat' | 'early' {
  return sameLines(held.lines, mergeLines(lines)) ? 'repeat' : 'early'
}

/** The order's stock is held. */
export const stockReserved = (orderId: number): DomainEvent => ({ type: 'stock.reserved', data: { order_id: orderId } })

/** The order's stock is not held, and why (see rejection). */
export const stockRejected = (
  orderId: number,
  why: { readonly reason: string; readonly productIds: readonly number[] },
): DomainEvent => ({
  type: 'stock.rejected',
  data: { order_id: orderId, reason: why.reason, product_ids: [...why.productIds] },
})

/**
 * The answer to a repeated order.placed (another event id, same order, same lines): the first
 * answer again; after a release there is nothing left to answer.
 */
export function answerFor(r: Reservation): DomainEvent | undefined {
  if (r.status === 'reserved') return stockReserved(r.orderId)
  if (r.status === 'rejected')
    return stockRejected(r.orderId, { reason: r.reason ?? 'rejected', productIds: r.productIds })
  return undefined
}
