import { omit, pick } from '@shop/kernel/fields'
import { type SnakeKeys, camelKeys, camelPicker, snakeCase, snakeKeys, snakeNames } from '@shop/kernel/wire'
import { columns } from '@shop/platform/postgres/columns'
import type { Q, TxSql } from '@shop/platform/postgres/connect'
import { pgError } from '@shop/platform/postgres/transact'
import type { Category } from '../../domain/category.ts'
import type { ProductWriteError } from '../../domain/errors.ts'
import { nameKey } from '../../domain/name-key.ts'
import {
  PRODUCT_FIELDS,
  type Product,
  type ProductFields,
  UNIQUE_FIELDS,
  type UniqueField,
} from '../../domain/product.ts'
import type { Reservation } from '../../domain/stock.ts'
import type { CatalogVersions } from '../../ports.ts'

// Each table's columns and its row mappers, here once: the statements in this folder (and the
// benches) read rows through these lists only.

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
export const categoryColumns = columns<CategoryRow>()(
  'id',
  'name',
  'description',
  'parent_id',
  'level',
  'created_at',
  'updated_at',
)

export const toCategory = (r: CategoryRow): Category => ({
  id: r.id,
  name: r.name,
  description: r.description,
  parentId: r.parent_id,
  level: r.level,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

/**
 * A products row as read: the product's fields under their column names (name_key and
 * category_path, derived, stay in the database).
 */
export type ProductRow = SnakeKeys<Omit<Product, 'category'>>

export const productColumns = columns<ProductRow>()(
  'id',
  ...snakeNames(PRODUCT_FIELDS),
  'created_at',
  'updated_at',
  'version',
)

/** A product is always read with its category as it is now. */
export type ProductReadRow = ProductRow & { category_name: string; category_level: number }

/** The columns of a ProductReadRow: the product's (as `p`) and its category's (as `c`). */
export const productReadColumns = (q: Q, p = 'p') =>
  q`${productColumns.of(q, p)}, c.name as category_name, c.level as category_level`

const productOfRow = camelPicker(productColumns.names)

export const toProduct = (r: ProductReadRow): Product => ({
  ...productOfRow(r),
  category: { id: r.category_id, name: r.category_name, level: r.category_level },
})

/** What a product write sets (created_at only on insert; id and category_path are the database's). */
export const productRow = (p: Omit<Product, 'id' | 'category' | 'createdAt'>) => ({
  ...snakeKeys(pick(p, PRODUCT_FIELDS)),
  name_key: nameKey(p.name),
  updated_at: p.updatedAt,
  version: p.version,
})

/**
 * What a refused product write means, from the constraint that refused it: a category that does
 * not exist (the foreign key, or the insert trigger that reads the category's path), a value of a
 * unique field another product has (its unique index, `products_<column>`: see PRODUCT_UNIQUE).
 * Anything else is not an expected refusal (undefined).
 */
export function productWriteError(
  e: unknown,
  p: Pick<ProductFields, 'categoryId' | UniqueField>,
): ProductWriteError | undefined {
  const { code, constraint } = pgError(e)
  if (code === '23503') return { type: 'UnknownCategory', categoryId: p.categoryId }
  const field = UNIQUE_FIELDS.find((f) => constraint === `products_${snakeCase(f)}`)
  const value = field && p[field]
  if (code === '23505' && field && typeof value === 'string') return { type: 'Taken', field, value }
  return undefined
}

export interface ReservationRow {
  order_id: number
  status: Reservation['status']
  // Stored in the events' own shape (snake_case), so the row reads like the order.placed it answers.
  items: { product_id: number; quantity: number }[]
  reason: string | null
  product_ids: number[]
  created_at: Date
  updated_at: Date
}

export const reservationColumns = columns<ReservationRow>()(
  'order_id',
  'status',
  'items',
  'reason',
  'product_ids',
  'created_at',
  'updated_at',
)

/** A reservation's lines are its row's `items`; every other field is its column renamed. */
export const toReservation = (r: ReservationRow): Reservation => ({
  ...camelKeys(omit(r, ['items'])),
  lines: r.items.map((i) => camelKeys(i)),
})

/** A reservation as written, its json columns wrapped by `q` (an array would otherwise be sent as a SQL array). */
export const reservationRow = (q: Q, r: Reservation) => ({
  ...snakeKeys(omit(r, ['lines'])),
  items: q.json(r.lines.map((l) => snakeKeys(pick(l, ['productId', 'quantity'])))),
  product_ids: q.json([...r.productIds]),
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
