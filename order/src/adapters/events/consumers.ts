import type { Subscription } from '@shop/platform/bus/bus'
import { subscription } from '@shop/platform/bus/topology'
import type { Envelope } from '@shop/kernel/events'
import { pick } from '@shop/kernel/fields'
import { noteDuplicate } from '@shop/kernel/inbox'
import { camelKeys } from '@shop/kernel/wire'
import type { UserReplica } from '@shop/platform/postgres/user-replica'
import type { OrderApplication } from '../../app/application.ts'
import type { ProductEventType } from '../../app/apply-product-event.ts'
import { REPLICA_FIELDS, type ReplicaProduct } from '../../domain/product.ts'

// The consumed events' wire shapes (snake_case) meet the core's camelCase here, once each.

const meta = (e: Envelope) => ({ eventId: e.id, correlationId: e.correlation_id })

/** What a product.* event tells the replica: the fields it keeps (REPLICA_FIELDS), renamed by rule. */
export function replicaProduct(e: Envelope<ProductEventType>): ReplicaProduct {
  if (e.type === 'product.deleted') return { id: e.data.id, deleted: true, version: e.data.version }
  const { id, version } = e.data
  return { id, deleted: false, ...pick(camelKeys(e.data), REPLICA_FIELDS), version }
}

// Their every write is the store's one transaction (inbox claim and effect): a batch shares a commit.
const GROUPED = { grouped: true } as const

/** A type the queue is not bound to: a wiring bug, not a message to drop (thrown: dead-lettered). */
const unexpected = (queue: string, e: { readonly type: string }): never => {
  throw new Error(`${queue} cannot handle ${e.type}`)
}

/**
 * What the order service consumes, as Bus subscriptions (queues `order.<name>`, topics from the
 * topology). The bus hands over envelopes it has already validated; a handler resolves once the
 * effect is committed and throws when it failed (the message is then retried, and dead-lettered
 * in the end).
 */
export function orderSubscriptions({ events }: OrderApplication, users: Pick<UserReplica, 'apply'>): Subscription[] {
  return [
    subscription(
      'order',
      'products',
      async (e) => {
        switch (e.type) {
          case 'product.created':
          case 'product.updated':
          case 'product.deleted':
            // A version the replica already has (or a newer one): counted like a duplicate.
            if ((await events.applyProductEvent(e.type, replicaProduct(e), meta(e))) === 'stale') noteDuplicate()
            return
          default:
            unexpected('order.products', e)
        }
      },
      GROUPED,
    ),
    subscription(
      'order',
      'stock',
      async (e) => {
        switch (e.type) {
          case 'stock.reserved':
            await events.onStockReserved({ orderId: e.data.order_id }, meta(e))
            return
          case 'stock.rejected':
            await events.onStockRejected(
              { orderId: e.data.order_id, reason: e.data.reason, productIds: e.data.product_ids },
              meta(e),
            )
            return
          default:
            unexpected('order.stock', e)
        }
      },
      GROUPED,
    ),
    // The user replica (tokens of deleted users, current roles) and, on deletion, the user's open
    // orders cancelled. The replica is idempotent by version; the cancellation by inbox.
    subscription('order', 'users', async (e) => {
      switch (e.type) {
        case 'user.created':
        case 'user.updated':
          await users.apply(e)
          return
        case 'user.deleted':
          await users.apply(e)
          await events.onUserDeleted(e.data.id, meta(e))
          return
        default:
          unexpected('order.users', e)
      }
    }),
  ]
}
