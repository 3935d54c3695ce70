import { type Result, err, ok } from '@shop/kernel/result'
import type { CatalogError } from '../domain/errors.ts'
import type { CatalogDeps } from '../ports.ts'

/** Only an empty category goes: no subcategories, no products. */
export function deleteCategory({ store }: CatalogDeps, id: number): Promise<Result<null, CatalogError>> {
  return store.transact(async (tx) => {
    const removed = await tx.categories.remove(id)
    if (!removed.ok) return removed
    return removed.value ? ok(null) : err({ type: 'CategoryNotFound', id } as CatalogError)
  })
}
