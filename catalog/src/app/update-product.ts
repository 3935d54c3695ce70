import { type Ctx, corr } from '@shop/kernel/app'
import type { Result } from '@shop/kernel/result'
import type { CatalogError } from '../domain/errors.ts'
import { type Product, type ProductChanges, changeProduct, productUpdated } from '../domain/product.ts'
import type { CatalogDeps } from '../ports.ts'
import { changeLocked } from './support/change-locked.ts'

/** A real change gets the next version and product.updated; no change, no event. */
export function updateProduct(
  { store, clock }: CatalogDeps,
  id: number,
  changes: ProductChanges,
  ctx: Ctx = {},
): Promise<Result<Product, CatalogError>> {
  return store.transact((tx) =>
    changeLocked(
      tx.products,
      id,
      { type: 'ProductNotFound', id },
      (p) => changeProduct(p, changes, clock.now()),
      (saved) => tx.events.add(productUpdated(saved), corr(ctx)),
    ),
  )
}
