import { type DomainEvent, eventOf } from '@shop/kernel/events'
import { changeVersioned, defined, fieldNames } from '@shop/kernel/fields'
import { type Money, compare } from '@shop/kernel/money'
import { snakeKeys } from '@shop/kernel/wire'
import type { CategoryRef } from './category.ts'

/**
 * What an admin writes of a product: the fields a create sets and an update may change, declared
 * once (a new field: here, in PRODUCT_FIELDS, in PRODUCT_DEFAULTS if a create may leave it out,
 * and in PRODUCT_UNIQUE if no two products may share it). The mappers carry them by these lists.
 */
export interface ProductFields {
  readonly name: string
  readonly description: string | null
  /** Exact 2-decimal string, never a float. */
  readonly price: Money
  readonly stock: number
  readonly categoryId: number
  /** The stock-keeping unit, when it has one: see isValidSku. */
  readonly sku: string | null
}

/** The names of ProductFields, in the order the API shows them. */
export const PRODUCT_FIELDS = fieldNames<ProductFields>()('name', 'description', 'price', 'stock', 'categoryId', 'sku')

export interface Product extends ProductFields {
  readonly id: number
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

/** A field no two products may share: the key its values are compared by, and its name for people. */
export interface UniqueRule {
  readonly key: (value: string) => string
  /** `SKU`, `SKUs`, `without case`: "another product already has the SKU ... (SKUs are compared without case)". */
  readonly noun: string
  readonly plural: string
  readonly compared: string
}

type TextField = { [K in keyof ProductFields]: ProductFields[K] extends string | null ? K : never }[keyof ProductFields]

/**
 * The fields no two products may share (when set). The database holds the same rule as a unique
 * index named `products_<column>`; the memory store, the store's refusal and the HTTP answer
 * (409, code `<FIELD>_TAKEN`) read it from here.
 */
export const PRODUCT_UNIQUE = {
  sku: { key: skuKey, noun: 'SKU', plural: 'SKUs', compared: 'without case' },
} as const satisfies { readonly [K in TextField]?: UniqueRule }

export type UniqueField = keyof typeof PRODUCT_UNIQUE
export const UNIQUE_FIELDS = Object.keys(PRODUCT_UNIQUE) as UniqueField[]

/** The first unique field whose value `p` shares with `other` (compared by the field's key), and `p`'s value. */
export function sharedUnique(
  p: ProductFields,
  other: ProductFields,
): { readonly field: UniqueField; readonly value: string } | undefined {
  for (const field of UNIQUE_FIELDS) {
    const [value, theirs] = [p[field], other[field]]
    const { key } = PRODUCT_UNIQUE[field]
    if (value !== null && theirs !== null && key(value) === key(theirs)) return { field, value }
  }
  return undefined
}

/** A product about to be stored; the store assigns the id and reads the category. */
export interface NewProduct extends ProductFields {
  readonly now: Date
}

/** What a create may leave out, and what it then is: no description, no stock, no SKU. */
const PRODUCT_DEFAULTS = { description: null, stock: 0, sku: null } as const satisfies Partial<ProductFields>

/** What creating a product asks for: the fields of a NewProduct that have a default may be left out. */
export type NewProductInput = Omit<ProductFields, keyof typeof PRODUCT_DEFAULTS> &
  Partial<Pick<ProductFields, keyof typeof PRODUCT_DEFAULTS>>

export const newProduct = (input: NewProductInput, now: Date): NewProduct => ({
  ...PRODUCT_DEFAULTS,
  ...defined(input),
  now,
})

/** Absent: unchanged; null (where the field takes it) clears it. */
export type ProductChanges = Partial<ProductFields>

/** Applies changes; returns the same product when nothing changes (no version bump, no event). */
export const changeProduct = (p: Product, changes: ProductChanges, now: Date): Product =>
  changeVersioned(p, changes, now, { price: (a, b) => compare(a, b) === 0 })

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

// The product.* events carry the fields their schema declares (kernel/src/events.ts), taken from the product.
export const productCreated = (p: Product): DomainEvent => eventOf('product.created', snakeKeys(p))
export const productUpdated = (p: Product): DomainEvent => eventOf('product.updated', snakeKeys(p))
/** A deletion is one more change: its version is the last one plus one. */
export const productDeleted = (p: Product): DomainEvent => ({
  type: 'product.deleted',
  data: { id: p.id, version: p.version + 1 },
})
