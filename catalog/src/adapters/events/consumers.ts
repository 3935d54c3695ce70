import type { Subscription } from '@shop/shared-kernel/bus/bus'
import type { Envelope, EventMap } from '@shop/shared-kernel/event-types'
import type { UserReplica } from '@shop/shared-kernel/postgres/user-replica'
import type { Catalog } from '../../catalog.ts'

const lines = (items: EventMap['order.placed']['items']) => items.map((i) => ({ productId: i.product_id, quantity: i.quantity }))

/**
 * The catalog's consumers: the stock side of the order saga, and (when given) the user replica
 * that lets the JWT check reject deleted users and use current roles. The bus hands over envelopes it has
 * already validated; a handler resolves once the effect is committed (the message is then acked)
 * and throws when it failed (the bus retries, then dead-letters).
 */
export function catalogSubscriptions(core: Catalog, users?: Pick<UserReplica, 'apply'>): Subscription[] {
  const subs: Subscription[] = [
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
  if (users) {
    subs.push({
      service: 'catalog',
      name: 'users',
      topics: ['user.created', 'user.updated', 'user.deleted'],
      // Idempotent by version: a duplicate or older event changes nothing.
      handler: async (e) => void (await users.apply(e as Envelope<'user.created'>)),
    })
  }
  return subs
}
