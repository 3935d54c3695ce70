import type { EventMeta } from '@shop/kernel/app'
import { once } from '@shop/kernel/inbox'
import { orderCancelled } from '../domain/events.ts'
import type { Order } from '../domain/order.ts'
import { type Reservation, onRejected, onReserved } from '../domain/reservation.ts'
import type { OrderDeps, OrderTx } from '../ports.ts'
import { moveBySystem } from './support/status-change.ts'
import { requestStock } from './support/stock.ts'

export type StockOutcome = 'confirmed' | 'rejected' | 'replaced' | 'released' | 'dropped' | 'ignored' | 'duplicate'

/** The catalog's answer to the outstanding request of an order: reserved. */
export interface StockReserved {
  readonly orderId: number
}

/** The catalog's answer: not reserved, why, and which products it could not reserve. */
export interface StockRejected {
  readonly orderId: number
  readonly reason: string
  readonly productIds: readonly number[]
}

/**
 * Handles a stock answer once (inbox): `effect` gets the order it answers and the order's stock
 * record, both locked (either may be gone: a deleted order, no request outstanding).
 */
function onAnswer(
  store: OrderDeps['store'],
  meta: EventMeta,
  type: 'stock.reserved' | 'stock.rejected',
  orderId: number,
  effect: (tx: OrderTx, order: Order | undefined, r: Reservation | undefined) => Promise<StockOutcome>,
): Promise<StockOutcome> {
  return once(store, meta, type, async (tx) => {
    const [order, r] = await Promise.all([tx.orders.byId(orderId, true), tx.reservations.byOrder(orderId, true)])
    return effect(tx, order, r)
  })
}

/** The catalog reserved the stock of the outstanding request (see domain/reservation.ts). */
export function onStockReserved(
  { store, clock }: OrderDeps,
  answer: StockReserved,
  meta: EventMeta,
): Promise<StockOutcome> {
  const { orderId } = answer
  return onAnswer(store, meta, 'stock.reserved', orderId, async (tx, order, r) => {
    const d = onReserved(order, r)
    switch (d.kind) {
      case 'confirm':
        // Entering confirmed records the stock as held; entering rejected forgets the request (domain/status.ts).
        await moveBySystem(tx, order!, 'confirmed', clock.now(), meta.correlationId)
        return 'confirmed'
      case 'replace':
        await tx.events.add(orderCancelled(orderId, d.release), meta.correlationId)
        await requestStock(tx, order!, meta.correlationId)
        return 'replaced'
      case 'release':
        await tx.events.add(orderCancelled(orderId, d.release), meta.correlationId)
        await tx.reservations.remove(orderId)
        return 'released'
      case 'ignore':
        return 'ignored'
    }
  })
}

/** The catalog could not reserve the outstanding request. */
export function onStockRejected(
  { store, clock }: OrderDeps,
  answer: StockRejected,
  meta: EventMeta,
): Promise<StockOutcome> {
  const { orderId } = answer
  return onAnswer(store, meta, 'stock.rejected', orderId, async (tx, order, r) => {
    switch (onRejected(order, r).kind) {
      case 'reject':
        await moveBySystem(tx, order!, 'rejected', clock.now(), meta.correlationId, {
          reason: answer.reason,
          productIds: answer.productIds,
        })
        return 'rejected'
      case 'replace':
        await requestStock(tx, order!, meta.correlationId)
        return 'replaced'
      case 'drop':
        await tx.reservations.remove(orderId)
        return 'dropped'
      case 'ignore':
        return 'ignored'
    }
  })
}
