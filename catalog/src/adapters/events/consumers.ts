import type { Subscription } from '@shop/shared-kernel/bus/bus'
import type { EventMap } from '@shop/shared-kernel/event-types'
import type { Catalog } from '../../catalog.ts'

const lines = (items: EventMap['order.placed']['items']) => items.map((i) => ({ productId: i.product_id, quantity: i.quantity }))

/**
 * The catalog's consumers: the stock side of the order saga. The bus hands over envelopes it has
 * already validated; a handler resolves once the effect is committed (the message is then acked)
 * and throws when it failed (the bus retries, then dead-letters).
 */
export function catalogSubscriptions(core: Catalog): Subscription[] {
  return [
    {
      service: 'catalog',
      name: 'orders',
      topics: ['order.placed', 'order.cancelled'],
      async handler(envelope) {
        const meta = { eventId: envelope.id, correlationId: envelope.correlation_id }
        if (envelope.type === 'order.placed') {
          const data = envelope.data as EventMap['order.placed']
          await core.reserveStock({ orderId: data.order_id, items: lines(data.items) }, meta)
        } else if (envelope.type === 'order.cancelled') {
          const data = envelope.data as EventMap['order.cancelled']
          await core.releaseStock({ orderId: data.order_id, items: lines(data.items) }, meta)
        }
        // Other types never reach this queue (it is bound to the two topics above).
      },
    },
  ]
}
