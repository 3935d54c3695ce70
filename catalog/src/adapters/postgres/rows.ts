import type { Q, TxSql } from '@shop/platform/postgres/connect'
import type { Category } from '../../domain/category.ts'
import type { Product } from '../../domain/product.ts'
import type { CatalogVersions } from '../../ports.ts'

export interface CategoryRow {
  id: number
  name: string
  description: string | null
  parent_id: number | null
  level: number
  created_at: Date
  updated_at: Date
}

/** What a Category is read from (categories.path, derived, stays in the database). */
export const categoryColumns = (q: Q) => q`id, name, description, parent_id, level, created_at, updated_at`

export const toCategory = (r: CategoryRow): Category => ({
  id: r.id,
  name: r.name,
  description: r.description,
  parentId: r.parent_id,
  level: r.level,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

export interface ProductRow {
  id: number
  name: string
  description: string | null
  /** numeric(12,2) arrives as a string with two fraction digits. */
  price: string
  stock: number
  category_id: number
  created_at: Date
  updated_at: Date
  version: number
  category_name: string
  category_level: number
}

export const toProduct = (r: ProductRow): Product => ({
  id: r.id,
  name: r.name,
  description: r.description,
  price: r.price,
  stock: r.stock,
  categoryId: r.category_id,
  category: { id: r.category_id, name: r.category_name, level: r.category_level },
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  version: r.version,
})

/** The counters' epoch is a UUID drawn when the database was created; 12 hex digits of it name it in tags. */
const epochName = (uuid: string): string => uuid.replaceAll('-', '').slice(0, 12)

/** catalog_version's row as its columns. */
export const toVersions = (r: { epoch: string; products: number; categories: number }): CatalogVersions => ({
  epoch: epochName(r.epoch),
  products: r.products,
  categories: r.categories,
})

/** catalog_version's row as one text value, `epoch products categories` (a listing carries it so, on one row). */
export function parseVersions(text: string): CatalogVersions {
  const [epoch, products, categories] = text.split(' ')
  return { epoch: epochName(epoch!), products: Number(products), categories: Number(categories) }
}

/**
 * Runs `work` so that a constraint violation leaves the surrounding transaction usable (a
 * savepoint), letting the adapter turn it into a typed error.
 */
export async function guarded<T>(q: Q, work: (q: Q) => Promise<T>): Promise<T> {
  return 'savepoint' in q ? ((await (q as TxSql).savepoint((sp) => work(sp))) as T) : work(q)
}
