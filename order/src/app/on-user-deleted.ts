import type { EventMeta } from '@shop/kernel/app'
import { once } from '@shop/kernel/inbox'
import { OPEN_STATUSES } from '../domain/status.ts'
import type { OrderDeps } from '../ports.ts'
import { moveBySystem } from './support/status-change.ts'

/** A deleted user's open orders are cancelled by the system (reserved stock goes back); the orders are kept. */
export function onUserDeleted(
  { store, clock }: OrderDeps,
  userId: string,
  meta: EventMeta,
): Promise<number | 'duplicate'> {
  return once(store, meta, 'user.deleted', async (tx) => {
    const open = await tx.orders.ofUser(userId, OPEN_STATUSES, true)
    for (const order of open)
      await moveBySystem(tx, order, 'cancelled', clock.now(), meta.correlationId, {
        reason: 'user deleted',
        productIds: null,
      })
    return open.length
  })
}
