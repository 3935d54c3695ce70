import type { Result } from '@shop/kernel/result'
import type { Category } from '../domain/category.ts'
import type { CatalogError } from '../domain/errors.ts'
import type { CatalogDeps } from '../ports.ts'

export interface NewCategoryInput {
  readonly name: string
  readonly description?: string | null
  readonly parentId?: number | null
}

/** A root without `parentId`; under a parent otherwise (the store derives the level). */
export function createCategory(
  { store, clock }: CatalogDeps,
  input: NewCategoryInput,
): Promise<Result<Category, CatalogError>> {
  return store.transact((tx) =>
    tx.categories.insert({
      name: input.name,
      description: input.description ?? null,
      parentId: input.parentId ?? null,
      now: clock.now(),
    }),
  )
}
