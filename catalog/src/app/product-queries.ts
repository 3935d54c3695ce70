import type { Page } from '@shop/kernel/app'
import { type Result, err, ok } from '@shop/kernel/result'
import type { CatalogError } from '../domain/errors.ts'
import type { Product, ProductFilter } from '../domain/product.ts'
import type { CatalogDeps, Listed } from '../ports.ts'

export async function getProduct({ store }: CatalogDeps, id: number): Promise<Result<Product, CatalogError>> {
  const p = await store.products.byId(id)
  return p ? ok(p) : err({ type: 'ProductNotFound', id })
}

/** Filtered and sorted (ties by id); an unknown category matches nothing. With the counters of the state it read. */
export function listProducts({ store }: CatalogDeps, filter: ProductFilter, page: Page): Promise<Listed<Product>> {
  return store.products.list(filter, page)
}

/**
 * The products of a category (and, by default, of every category below it); unknown category: an error, not an empty
 * page.
 */
export async function productsInCategory(
  { store }: CatalogDeps,
  id: number,
  includeSubcategories: boolean,
  page: Page,
): Promise<Result<Listed<Product>, CatalogError>> {
  if (!(await store.categories.byId(id))) return err({ type: 'CategoryNotFound', id })
  return ok(await store.products.list({ categoryId: id, includeSubcategories }, page))
}
