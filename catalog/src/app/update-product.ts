import { type Ctx, corr } from '@shop/kernel/app'
import { type Result, err, ok } from '@shop/kernel/result'
import type { CatalogError } from '../domain/errors.ts'
import { type Product, type ProductChanges, changeProduct, productUpdated } from '../domain/product.ts'
import type { CatalogDeps } from '../ports.ts'

/** A real change gets the next version and product.updated; no change, no event. */
export function updateProduct(
  { store, clock }: CatalogDeps,
  id: number,
  changes: ProductChanges,
  ctx: Ctx = {},
): Promise<Result<Product, CatalogError>> {
  return store.transact(async (tx) => {
    const current = await tx.products.byId(id, true)
    if (!current) return err({ type: 'ProductNotFound', id } as CatalogError)
    const next = changeProduct(current, changes, clock.now())
    if (next === current) return ok(current)
    const saved = await tx.products.update(next)
    if (saved.ok) await tx.events.add(productUpdated(saved.value), corr(ctx))
    return saved
  })
}
