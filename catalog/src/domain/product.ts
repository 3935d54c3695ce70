import type { DomainEvent } from '@shop/kernel/events'
import { type Money, compare } from '@shop/kernel/money'
import type { CategoryRef } from './category.ts'

export interface Product {
  readonly id: number
  readonly name: string
  readonly description: string | null
  /** Exact 2-decimal string, never a float. */
  readonly price: Money
  readonly stock: number
  readonly categoryId: number
  /** The stock-keeping unit, when it has one: see isValidSku. */
  readonly sku: string | null
  /** The category as it is now (read with the product, not stored in it). */
  readonly category: CategoryRef
  readonly createdAt: Date
  readonly updatedAt: Date
  /** Increases with every change, stock changes included; carried by the product.* events. */
  readonly version: number
}

/** Stock is a Postgres integer; the cap leaves room for cancelled orders to put units back. */
export const STOCK_MAX = 1_000_000_000

export const isValidStock = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= STOCK_MAX

export const SKU_MAX = 64
/**
 * A SKU: 1 to 64 ASCII letters, digits, dots, underscores or hyphens (trimmed by the HTTP layer),
 * kept as written and unique without regard to case: codes are read out and typed in, where case
 * is easily lost. ASCII, so that "without regard to case" is the same rule everywhere.
 */
export const isValidSku = (s: string): boolean => s.length <= SKU_MAX && /^[A-Za-z0-9._-]+$/.test(s)
export const skuKey = (sku: string): string => sku.toLowerCase()

/** A product about to be stored; the store assigns the id and reads the category. */
export interface NewProduct {
  readonly name: string
  readonly description: string | null
  readonly price: Money
  readonly stock: number
  readonly categoryId: number
  readonly sku: string | null
  readonly now: Date
}

/** What creating a product asks for: the fields of a NewProduct that have a default may be left out. */
export type NewProductInput = Omit<NewProduct, 'description' | 'stock' | 'sku' | 'now'> &
  Partial<Pick<NewProduct, 'description' | 'stock' | 'sku'>>

/** The defaults of a new product: no description, no stock, no SKU. */
export const newProduct = (input: NewProductInput, now: Date): NewProduct => ({
  ...input,
  description: input.description ?? null,
  stock: input.stock ?? 0,
  sku: input.sku ?? null,
  now,
})

export interface ProductChanges {
  readonly name?: string
  readonly description?: string | null
  readonly price?: Money
  readonly stock?: number
  readonly categoryId?: number
  /** null clears it. */
  readonly sku?: string | null
}

/** Applies changes; returns the same product when nothing changes (no version bump, no event). */
export function changeProduct(p: Product, changes: ProductChanges, now: Date): Product {
  const next: Product = {
    ...p,
    name: changes.name ?? p.name,
    description: changes.description !== undefined ? changes.description : p.description,
    price: changes.price !== undefined && compare(changes.price, p.price) !== 0 ? changes.price : p.price,
    stock: changes.stock ?? p.stock,
    categoryId: changes.categoryId ?? p.categoryId,
    sku: changes.sku !== undefined ? changes.sku : p.sku,
  }
  const changed =
    next.name !== p.name ||
    next.description !== p.description ||
    next.price !== p.price ||
    next.stock !== p.stock ||
    next.categoryId !== p.categoryId ||
    next.sku !== p.sku
  return changed ? { ...next, updatedAt: now, version: p.version + 1 } : p
}

export type ProductSort = 'id' | 'name' | '-name' | 'price' | '-price' | 'created_at' | '-created_at'
export const PRODUCT_SORTS: readonly ProductSort[] = [
  'id',
  'name',
  '-name',
  'price',
  '-price',
  'created_at',
  '-created_at',
]

export interface ProductFilter {
  /** That category and, unless `includeSubcategories` is false, every category below it. */
  readonly categoryId?: number
  readonly includeSubcategories?: boolean
  readonly minPrice?: Money
  readonly maxPrice?: Money
  /** true: stock > 0; false: stock = 0. */
  readonly inStock?: boolean
  /** Case-insensitive substring of the name or the description, taken literally (no wildcards). */
  readonly q?: string
  readonly sort?: ProductSort
}

const data = (p: Product) => ({
  id: p.id,
  name: p.name,
  price: p.price,
  stock: p.stock,
  category_id: p.categoryId,
  sku: p.sku,
  version: p.version,
})

export const productCreated = (p: Product): DomainEvent => ({ type: 'product.created', data: data(p) })
export const productUpdated = (p: Product): DomainEvent => ({ type: 'product.updated', data: data(p) })
/** A deletion is one more change: its version is the last one plus one. */
export const productDeleted = (p: Product): DomainEvent => ({
  type: 'product.deleted',
  data: { id: p.id, version: p.version + 1 },
})
