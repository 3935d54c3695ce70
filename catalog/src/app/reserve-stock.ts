import type { EventMeta } from '@shop/kernel/app'
import { productUpdated } from '../domain/product.ts'
import { answerFor, mergeLines, placedAgain, rejection, stockRejected, stockReserved } from '../domain/stock.ts'
import type { CatalogTx } from '../ports.ts'
import { orderEventHandler } from './support/order-stock.ts'

/**
 * On order.placed: reserves every line, all or none, and answers stock.reserved or
 * stock.rejected. Once per event id (inbox) and once per order (a reservation row).
 */
export const reserveStock = orderEventHandler('order.placed', async (tx, order, now, meta) => {
  const lines = mergeLines(order.items)
  // The row is written first: a second order.placed for this order waits on it (see domain/stock.ts).
  const opened = await tx.reservations.open({
    orderId: order.orderId,
    status: 'reserved',
    lines,
    reason: null,
    productIds: [],
    createdAt: now,
    updatedAt: now,
  })
  if (!opened) {
    const held = await tx.reservations.byOrder(order.orderId)
    if (held && placedAgain(held, lines) === 'early') {
      // Thrown, not returned: the transaction (inbox claim included) rolls back and the bus redelivers.
      throw new Error(`order ${order.orderId} placed again before its previous reservation was released; retry later`)
    }
    await answerAgain(tx, order.orderId, meta)
    return 'answered-again'
  }
  const taken = await tx.products.take(lines, now)
  if (!taken.ok) {
    const why = rejection(taken.error)
    await tx.reservations.reject(order.orderId, why, now)
    await tx.events.add(stockRejected(order.orderId, why), meta.correlationId)
    return 'rejected'
  }
  // Issued together (pipelined, one round trip); the outbox keeps them in this order.
  await Promise.all([
    ...taken.value.map((p) => tx.events.add(productUpdated(p), meta.correlationId)),
    tx.events.add(stockReserved(order.orderId), meta.correlationId),
  ])
  return 'reserved'
})

/** A repeated order.placed (another event id, same order, same lines) gets the first answer again. */
async function answerAgain(tx: CatalogTx, orderId: number, meta: EventMeta): Promise<void> {
  const existing = await tx.reservations.byOrder(orderId)
  const answer = existing && answerFor(existing)
  if (answer) await tx.events.add(answer, meta.correlationId)
}
