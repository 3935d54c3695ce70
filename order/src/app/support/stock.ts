import { orderCancelled, orderPlaced } from '../../domain/events.ts'
import { type Order, stockLines } from '../../domain/order.ts'
import { releaseOnClose } from '../../domain/reservation.ts'
import type { OrderTx } from '../../ports.ts'

/**
 * Asks the catalog to reserve the order's current lines (`order.placed`) and records that request
 * as the order's one outstanding request (see domain/reservation.ts).
 */
export async function requestStock(tx: OrderTx, order: Order, correlationId: string | null): Promise<void> {
  const items = stockLines(order.items)
  // The record keeps the event's id: an unanswered request is sent again as this very event.
  const requestId = await tx.events.add(orderPlaced(order, items), correlationId)
  await tx.reservations.put({ orderId: order.id, state: 'requested', items, requestId, attempts: 1 })
}

/** The catalog granted the outstanding request: the order's record says it holds those lines now. */
export async function holdStock(tx: OrderTx, order: Order): Promise<void> {
  const r = await tx.reservations.byOrder(order.id, true)
  await tx.reservations.put({ orderId: order.id, state: 'reserved', items: r?.items ?? stockLines(order.items) })
}

/** Gives reserved stock back when the order is closed (cancelled or deleted); see releaseOnClose. */
export async function releaseStock(tx: OrderTx, order: Order, correlationId: string | null): Promise<void> {
  const lines = releaseOnClose(order, await tx.reservations.byOrder(order.id, true))
  if (!lines) return
  await tx.events.add(orderCancelled(order.id, lines), correlationId)
  await tx.reservations.remove(order.id)
}
