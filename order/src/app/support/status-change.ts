import { type StatusChange, SYSTEM, statusChange } from '../../domain/history.ts'
import { type Order, changeStatus } from '../../domain/order.ts'
import { type Actor, type OrderStatus, STATUSES } from '../../domain/status.ts'
import type { OrderTx } from '../../ports.ts'
import { holdStock, releaseStock, requestStock } from './stock.ts'

type Why = Pick<StatusChange, 'reason' | 'productIds'>

/**
 * Does what entering the order's status does to its stock (the status table's `onEnter`). `before`:
 * the order as it was, for a status change (what the catalog holds follows from it); none at creation.
 */
export async function enterStatus(
  tx: OrderTx,
  order: Order,
  correlationId: string | null,
  before: Order = order,
): Promise<void> {
  switch (STATUSES[order.status].onEnter) {
    case 'request':
      return requestStock(tx, order, correlationId)
    case 'hold':
      return holdStock(tx, order)
    case 'release':
      return releaseStock(tx, before, correlationId)
    case 'end':
      return tx.reservations.remove(order.id)
    case null:
      return
  }
}

/**
 * Saves a status change decided by the domain (`changeStatus`): the row, its history entry, and its
 * consequences on stock (enterStatus).
 */
export async function saveStatusChange(
  tx: OrderTx,
  before: Order,
  moved: { readonly order: Order; readonly actor: Actor },
  by: string,
  correlationId: string | null,
  why: Why = { reason: null, productIds: null },
): Promise<Order> {
  const { order, actor } = moved
  // A status change never changes the lines: they are not rewritten. The row and its history
  // entry are independent writes: issued together, they share one round trip (pipelined).
  const [saved] = await Promise.all([
    tx.orders.update(order, { lines: false }),
    tx.history.add(
      statusChange({
        orderId: order.id,
        from: before.status,
        to: order.status,
        actor,
        by,
        at: order.updatedAt,
        ...why,
      }),
    ),
  ])
  await enterStatus(tx, order, correlationId, before)
  return saved
}

/**
 * A move the system makes (a stock answer, a user's deletion). The callers only ask for moves the
 * table gives the system, so a refusal means corrupt state: it throws (the event is retried).
 */
export async function moveBySystem(
  tx: OrderTx,
  order: Order,
  to: OrderStatus,
  now: Date,
  correlationId: string | null,
  why?: Why,
): Promise<Order> {
  const moved = changeStatus(order, to, ['system'], now)
  if (!moved.ok) throw new Error(`moving order ${order.id} to ${to}: ${moved.error.type}`)
  return saveStatusChange(tx, order, moved.value, SYSTEM, correlationId, why)
}
