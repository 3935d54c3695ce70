import { type Ctx, corr } from '@shop/kernel/app'
import { type Result, err, ok } from '@shop/kernel/result'
import type { OrderError } from '../domain/errors.ts'
import { statusChange } from '../domain/history.ts'
import {
  type Caller,
  type LineRequest,
  type Order,
  mergeLines,
  newOrder,
  priceLines,
  unorderable,
} from '../domain/order.ts'
import type { OrderDeps } from '../ports.ts'
import { enterStatus } from './support/status-change.ts'

export interface PlaceOrderInput {
  readonly items: readonly LineRequest[]
  readonly shippingAddress?: string | null | undefined
}

/** An Idempotency-Key and the fingerprint of the request it came with. */
export interface Idempotency {
  readonly key: string
  readonly fingerprint: string
}

export interface Placed {
  readonly order: Order
  /** True when this repeats an earlier request with the same key: `order` is the one it created. */
  readonly replayed: boolean
}

/**
 * Creates a pending order for the caller and asks the catalog to reserve its lines (`order.placed`,
 * in the same transaction). With an Idempotency-Key, a repeat of the same request returns the
 * order the first one created and creates nothing.
 */
export async function placeOrder(
  { store, clock }: OrderDeps,
  caller: Caller,
  input: PlaceOrderInput,
  o: Ctx & { readonly idempotency?: Idempotency | undefined } = {},
): Promise<Result<Placed, OrderError>> {
  const merged = mergeLines(input.items)
  if (!merged.ok) return merged
  const now = clock.now()
  const idem = o.idempotency
  return store.transact(async (tx): Promise<Result<Placed, OrderError>> => {
    // The key claim and the product read are issued together (one round trip, pipelined);
    // the claim decides first: a repeat returns the first order even if a product has gone since.
    const [claim, products] = await Promise.all([
      idem ? tx.keys.claim({ userId: caller.id, key: idem.key, fingerprint: idem.fingerprint, at: now }) : undefined,
      tx.products.byIds(merged.value.map((l) => l.productId)),
    ])
    if (idem && claim && !claim.claimed) {
      if (claim.fingerprint !== idem.fingerprint) return err({ type: 'IdempotencyKeyReused' })
      const first = claim.orderId === null ? undefined : await tx.orders.byId(claim.orderId)
      return first ? ok({ order: first, replayed: true }) : err({ type: 'IdempotentOrderDeleted' })
    }
    const missing = unorderable(merged.value, products)
    if (missing.length) return err({ type: 'UnknownProducts', productIds: missing })
    const order = await tx.orders.insert(
      newOrder({
        userId: caller.id,
        items: priceLines(merged.value, products),
        shippingAddress: input.shippingAddress ?? null,
        now,
      }),
    )
    // Independent writes, issued together. Entering its first status asks the catalog for the stock.
    await Promise.all([
      tx.history.add(
        statusChange({ orderId: order.id, from: null, to: order.status, actor: 'owner', by: caller.id, at: now }),
      ),
      enterStatus(tx, order, corr(o)),
      idem ? tx.keys.attach(caller.id, idem.key, order.id) : undefined,
    ])
    return ok({ order, replayed: false })
  })
}
