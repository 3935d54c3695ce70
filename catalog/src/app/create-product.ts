import { type Ctx, corr } from '@shop/kernel/app'
import type { Money } from '@shop/kernel/money'
import type { Result } from '@shop/kernel/result'
import type { CatalogError } from '../domain/errors.ts'
import { type Product, productCreated } from '../domain/product.ts'
import type { CatalogDeps } from '../ports.ts'

export interface NewProductInput {
  readonly name: string
  readonly description?: string | null
  readonly price: Money
  readonly stock?: number
  readonly categoryId: number
}

/** Stores the product and records product.created in the same transaction. */
export function createProduct(
  { store, clock }: CatalogDeps,
  input: NewProductInput,
  ctx: Ctx = {},
): Promise<Result<Product, CatalogError>> {
  return store.transact(async (tx) => {
    const inserted = await tx.products.insert({
      name: input.name,
      description: input.description ?? null,
      price: input.price,
      stock: input.stock ?? 0,
      categoryId: input.categoryId,
      now: clock.now(),
    })
    if (inserted.ok) await tx.events.add(productCreated(inserted.value), corr(ctx))
    return inserted
  })
}
