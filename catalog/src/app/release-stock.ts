import type { EventMeta } from '@shop/kernel/app'
import { once } from '@shop/kernel/inbox'
import { type Result, ok } from '@shop/kernel/result'
import { productUpdated } from '../domain/product.ts'
import type { CatalogDeps } from '../ports.ts'
import type { OrderStock, StockOutcome } from './support/order-stock.ts'

/**
 * On order.cancelled: puts back what the order's reservation took, exactly once per order,
 * whatever number of events arrive. The recorded lines are the truth of what was taken, so the
 * event's own items are not used.
 */
export async function releaseStock(
  { store, clock }: CatalogDeps,
  order: OrderStock,
  meta: EventMeta,
): Promise<Result<StockOutcome, never>> {
  return ok(
    await once(store, meta, 'order.cancelled', async (tx): Promise<StockOutcome> => {
      const now = clock.now()
      const released = await tx.reservations.release(order.orderId, now)
      if (!released) return 'nothing-to-release'
      for (const p of await tx.products.restock(released.lines, now))
        await tx.events.add(productUpdated(p), meta.correlationId)
      return 'released'
    }),
  )
}
