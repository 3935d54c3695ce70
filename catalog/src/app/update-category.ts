import type { Result } from '@shop/kernel/result'
import { type Category, type CategoryChanges, changeCategory } from '../domain/category.ts'
import type { CatalogError } from '../domain/errors.ts'
import type { CatalogDeps } from '../ports.ts'
import { changeLocked } from './support/change-locked.ts'

/** Renames, describes or moves a category (a move takes its whole subtree along). */
export function updateCategory(
  { store, clock }: CatalogDeps,
  id: number,
  changes: CategoryChanges,
): Promise<Result<Category, CatalogError>> {
  const change = (c: Category) => changeCategory(c, changes, clock.now())
  return store.transact((tx) => changeLocked(tx.categories, id, { type: 'CategoryNotFound', id }, change))
}
