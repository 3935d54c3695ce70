import type { Subscription } from '@shop/shared-kernel/bus/bus'
import type { Envelope } from '@shop/shared-kernel/event-types'
import type { UserReplica } from '@shop/shared-kernel/postgres/user-replica'
import type { OrderCore } from '../../order.ts'

const meta = (e: Envelope) => ({ eventId: e.id, correlationId: e.correlation_id })

/**
 * What the order service consumes, as Bus subscriptions (queues `order.<name>`). The bus hands
 * over envelopes it has already validated; a handler resolves once the effect is committed and
 * throws when it failed (the message is then retried, and dead-lettered in the end).
 */
export function orderSubscriptions(core: OrderCore, users: Pick<UserReplica, 'apply'>): Subscription[] {
  return [
    {
      service: 'order',
      name: 'products',
      topics: ['product.created', 'product.updated', 'product.deleted'],
      handler: async (e) => {
        await core.applyProductEvent(e)
      },
    },
    {
      service: 'order',
      name: 'stock',
      topics: ['stock.reserved', 'stock.rejected'],
      handler: async (e) => {
        if (e.type === 'stock.reserved') await core.onStockReserved((e as Envelope<'stock.reserved'>).data, meta(e))
        else if (e.type === 'stock.rejected') await core.onStockRejected((e as Envelope<'stock.rejected'>).data, meta(e))
        else throw new Error(`order.stock cannot handle ${e.type}`)
      },
    },
    {
      // The user replica (tokens of deleted users, current roles) and, on deletion, the user's
      // open orders cancelled. The replica is idempotent by version; the cancellation by inbox.
      service: 'order',
      name: 'users',
      topics: ['user.created', 'user.updated', 'user.deleted'],
      handler: async (e) => {
        if (e.type !== 'user.created' && e.type !== 'user.updated' && e.type !== 'user.deleted') throw new Error(`order.users cannot handle ${e.type}`)
        await users.apply(e as Envelope<'user.created'>)
        if (e.type === 'user.deleted') await core.onUserDeleted((e as Envelope<'user.deleted'>).data, meta(e))
      },
    },
  ]
}
