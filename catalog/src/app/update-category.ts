import { type Result, err, ok } from '@shop/kernel/result'
import { type Category, type CategoryChanges, changeCategory } from '../domain/category.ts'
import type { CatalogError } from '../domain/errors.ts'
import type { CatalogDeps } from '../ports.ts'

/** Renames, describes or moves a category (a move takes its whole subtree along). */
export function updateCategory(
  { store, clock }: CatalogDeps,
  id: number,
  changes: CategoryChanges,
): Promise<Result<Category, CatalogError>> {
  return store.transact(async (tx) => {
    const current = await tx.categories.byId(id, true)
    if (!current) return err({ type: 'CategoryNotFound', id } as CatalogError)
    const next = changeCategory(current, changes, clock.now())
    if (next === current) return ok(current)
    return tx.categories.update(next)
  })
}
