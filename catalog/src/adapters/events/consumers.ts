import type { Subscription } from '@shop/platform/bus/bus'
import { subscription } from '@shop/platform/bus/topology'
import type { EventMap } from '@shop/kernel/events'
import type { UserReplica } from '@shop/platform/postgres/user-replica'
import type { CatalogApplication } from '../../app/application.ts'
import type { OrderStock } from '../../app/support/order-stock.ts'

const orderStock = (data: EventMap['order.placed'] | EventMap['order.cancelled']): OrderStock => ({
  orderId: data.order_id,
  items: data.items.map((i) => ({ productId: i.product_id, quantity: i.quantity })),
})

/**
 * The catalog's consumers: the stock side of the order saga, and (when given) the user replica
 * that lets the JWT check reject deleted users and use current roles. The bus hands over envelopes
 * it has already validated, of the queue's topics only; a handler resolves once the effect is
 * committed (the message is then acked) and throws when it failed (the bus retries, then
 * dead-letters).
 */
export function catalogSubscriptions(
  application: CatalogApplication,
  users?: Pick<UserReplica, 'apply'>,
): Subscription[] {
  const { events } = application
  const orders = subscription(
    'catalog',
    'orders',
    async (e) => {
      const meta = { eventId: e.id, correlationId: e.correlation_id }
      switch (e.type) {
        case 'order.placed':
          await events.reserveStock(orderStock(e.data), meta)
          return
        case 'order.cancelled':
          await events.releaseStock(orderStock(e.data), meta)
          return
      }
      // Both handlers write only through the store's one transaction: a batch of them shares a commit.
    },
    { grouped: true },
  )
  if (!users) return [orders]
  // Idempotent by version: a duplicate or older event changes nothing.
  return [orders, subscription('catalog', 'users', async (e) => void (await users.apply(e)))]
}
