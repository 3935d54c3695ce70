import { type Ctx, corr } from '@shop/kernel/app'
import type { Result } from '@shop/kernel/result'
import type { CatalogError } from '../domain/errors.ts'
import { type NewProductInput, type Product, newProduct, productCreated } from '../domain/product.ts'
import type { CatalogDeps } from '../ports.ts'

/** Stores the product and records product.created in the same transaction. */
export function createProduct(
  { store, clock }: CatalogDeps,
  input: NewProductInput,
  ctx: Ctx = {},
): Promise<Result<Product, CatalogError>> {
  return store.transact(async (tx) => {
    const inserted = await tx.products.insert(newProduct(input, clock.now()))
    if (inserted.ok) await tx.events.add(productCreated(inserted.value), corr(ctx))
    return inserted
  })
}
