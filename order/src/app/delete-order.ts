import { type Ctx, corr } from '@shop/kernel/app'
import { type Result, ok } from '@shop/kernel/result'
import type { OrderError } from '../domain/errors.ts'
import { type Caller, deletable, visibleOrder } from '../domain/order.ts'
import type { OrderDeps } from '../ports.ts'
import { releaseStock } from './support/stock.ts'

/** The owner deletes in the statuses that allow it (OWNER_DELETABLE); an admin always (reserved stock goes back). */
export async function deleteOrder(
  { store }: OrderDeps,
  caller: Caller,
  id: number,
  ctx: Ctx = {},
): Promise<Result<null, OrderError>> {
  return store.transact(async (tx): Promise<Result<null, OrderError>> => {
    const found = visibleOrder(await tx.orders.byId(id, true), caller, id)
    if (!found.ok) return found
    const allowed = deletable(found.value, caller)
    if (!allowed.ok) return allowed
    await releaseStock(tx, found.value, corr(ctx))
    await tx.orders.remove(id)
    return ok(null)
  })
}
