import { type Ctx, corr } from '@shop/kernel/app'
import { type Result, err, ok } from '@shop/kernel/result'
import type { CatalogError } from '../domain/errors.ts'
import { productDeleted } from '../domain/product.ts'
import type { CatalogDeps } from '../ports.ts'

/** Removes the product and records product.deleted (orders keep their own snapshot). */
export function deleteProduct({ store }: CatalogDeps, id: number, ctx: Ctx = {}): Promise<Result<null, CatalogError>> {
  return store.transact(async (tx) => {
    const p = await tx.products.byId(id, true)
    if (!p) return err({ type: 'ProductNotFound', id } as CatalogError)
    await tx.products.remove(id)
    await tx.events.add(productDeleted(p), corr(ctx))
    return ok(null)
  })
}
