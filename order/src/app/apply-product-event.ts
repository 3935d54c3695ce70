import type { Envelope } from '@shop/kernel/events'
import { once } from '@shop/kernel/inbox'
import { type ProductEvent, fromProductEvent } from '../domain/product.ts'
import type { OrderDeps } from '../ports.ts'

export type ProductOutcome = 'applied' | 'stale' | 'duplicate'

/** product.created / updated / deleted → the replica (newer versions only; tombstones are final). */
export function applyProductEvent({ store }: OrderDeps, e: Envelope<ProductEvent['type']>): Promise<ProductOutcome> {
  return once(
    store,
    { eventId: e.id, correlationId: e.correlation_id },
    e.type,
    async (tx): Promise<ProductOutcome> => ((await tx.products.apply(fromProductEvent(e))) ? 'applied' : 'stale'),
  )
}
