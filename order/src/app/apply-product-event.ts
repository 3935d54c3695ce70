import type { EventMeta } from '@shop/kernel/app'
import type { EventType } from '@shop/kernel/events'
import { once } from '@shop/kernel/inbox'
import type { ReplicaProduct } from '../domain/product.ts'
import type { OrderDeps } from '../ports.ts'

export type ProductOutcome = 'applied' | 'stale' | 'duplicate'

export type ProductEventType = Extract<EventType, `product.${string}`>

/** product.created / updated / deleted → the replica (newer versions only; tombstones are final). */
export function applyProductEvent(
  { store }: OrderDeps,
  type: ProductEventType,
  product: ReplicaProduct,
  meta: EventMeta,
): Promise<ProductOutcome> {
  return once(
    store,
    meta,
    type,
    async (tx): Promise<ProductOutcome> => ((await tx.products.apply(product)) ? 'applied' : 'stale'),
  )
}
