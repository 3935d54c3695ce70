import type { Page, Paged } from '@shop/kernel/app'
import { type Result, err, ok } from '@shop/kernel/result'
import { type Category, type CategoryRef, categoryRef } from '../domain/category.ts'
import type { CatalogError } from '../domain/errors.ts'
import { type CategoryNode, nest } from '../domain/tree.ts'
import type { CatalogDeps, CategoryScope } from '../ports.ts'

/** The category and its ancestors (root first, itself excluded), read in one query. */
export async function getCategory(
  { store }: CatalogDeps,
  id: number,
): Promise<Result<{ category: Category; path: CategoryRef[] }, CatalogError>> {
  const lineage = await store.categories.lineage(id)
  const category = lineage.at(-1)
  if (!category) return err({ type: 'CategoryNotFound', id })
  return ok({ category, path: lineage.slice(0, -1).map(categoryRef) })
}

/** The scope's categories depth-first, each parent right before its subtree. */
export function listCategories({ store }: CatalogDeps, scope: CategoryScope, page: Page): Promise<Paged<Category>> {
  return store.categories.list(scope, page)
}

/** How deep a tree answer goes, at most and by default: the work of one request stays bounded. */
export const TREE_DEPTH_MAX = 100

/**
 * Pages over the top categories of the scope; each comes with its subtree nested, down to
 * `depth` levels (the top categories are the first; nodes at the last level are given without
 * their children, which a tree of `parent_id` = that node answers).
 */
export async function categoryTree(
  { store }: CatalogDeps,
  scope: CategoryScope,
  page: Page,
  depth: number = TREE_DEPTH_MAX,
): Promise<Paged<CategoryNode>> {
  const { items, total } = await store.categories.forest(scope, page, Math.min(depth, TREE_DEPTH_MAX))
  return { items: nest(items), total }
}
