import { type Ctx, corr } from '@shop/kernel/app'
import { type Result, ok } from '@shop/kernel/result'
import { orderCancelled } from '../domain/events.ts'
import type { OrderError } from '../domain/errors.ts'
import { type Caller, type Order, type OrderChange, decideUpdate, mergeLines, visibleOrder } from '../domain/order.ts'
import type { ReplicaProduct } from '../domain/product.ts'
import type { OrderDeps, OrderTx } from '../ports.ts'
import { saveStatusChange } from './support/status-change.ts'
import { requestStock } from './support/stock.ts'

/** Changes an order as the domain decides (decideUpdate), and saves what it decided. */
export async function updateOrder(
  { store, clock }: OrderDeps,
  caller: Caller,
  id: number,
  change: OrderChange,
  ctx: Ctx = {},
): Promise<Result<Order, OrderError>> {
  const merged = change.items !== undefined ? mergeLines(change.items) : undefined
  if (merged && !merged.ok) return merged
  const items = merged?.value
  return store.transact(async (tx): Promise<Result<Order, OrderError>> => {
    // The order (locked) and the replica's products of the requested lines: one round trip (pipelined).
    const [found, products] = await Promise.all([
      tx.orders.byId(id, true),
      items ? tx.products.byIds(items.map((l) => l.productId)) : new Map<number, ReplicaProduct>(),
    ])
    const visible = visibleOrder(found, caller, id)
    if (!visible.ok) return visible
    const order = visible.value
    const decided = decideUpdate(order, caller, { ...change, items }, products, clock.now())
    if (!decided.ok) return decided
    const d = decided.value
    switch (d.kind) {
      case 'unchanged':
        return ok(order)
      case 'moved':
        return ok(await saveStatusChange(tx, order, d, caller.id, corr(ctx)))
      case 'edited': {
        const saved = await tx.orders.update(d.order)
        if (d.itemsChanged) await replaceRequest(tx, saved, corr(ctx))
        return ok(saved)
      }
    }
  })
}

/**
 * The lines of a pending order were edited. With a request outstanding, its answer places the new
 * lines (domain/reservation.ts): never two requests in flight for one order. Without one (or,
 * defensively, with stock somehow held for a pending order) the new lines are placed now.
 */
async function replaceRequest(tx: OrderTx, order: Order, correlationId: string | null): Promise<void> {
  const r = await tx.reservations.byOrder(order.id, true)
  if (!r) return requestStock(tx, order, correlationId)
  if (r.state === 'reserved') {
    await tx.events.add(orderCancelled(order.id, r.items), correlationId)
    await requestStock(tx, order, correlationId)
  }
}
