import { productUpdated } from '../domain/product.ts'
import { orderEventHandler } from './support/order-stock.ts'

/**
 * On order.cancelled: puts back what the order's reservation took, exactly once per order,
 * whatever number of events arrive. The recorded lines are the truth of what was taken, so the
 * event's own items are not used.
 */
export const releaseStock = orderEventHandler('order.cancelled', async (tx, order, now, meta) => {
  const released = await tx.reservations.release(order.orderId, now)
  if (!released) return 'nothing-to-release'
  for (const p of await tx.products.restock(released.lines, now))
    await tx.events.add(productUpdated(p), meta.correlationId)
  return 'released'
})
