import * as v from 'valibot'
import { MoneyInput, MoneyOut, MoneyQuery } from '@shop/platform/http/money-schema'
import { pageEntries } from '@shop/platform/http/pagination'
import { INVISIBLE, IdOut, boolString, idNumber, idString, intString } from '@shop/platform/http/validate'
import { TREE_DEPTH_MAX } from '../../app/category-queries.ts'
import { hasInvisibleChars, normalizeText } from '@shop/kernel/text'
import { compare } from '@shop/kernel/money'
import { DESCRIPTION_MAX, NAME_MAX, isValidDescription, isValidName } from '../../domain/name-key.ts'
import { PRODUCT_SORTS, SKU_MAX, STOCK_MAX, isValidSku, isValidStock } from '../../domain/product.ts'

// Ids in bodies: positive JSON integers, in the same range as ids in paths (idString).
const id = idNumber
const name = v.pipe(
  v.string('name must be a string'),
  v.metadata({
    minLength: 1,
    maxLength: NAME_MAX,
    description:
      `1 to ${NAME_MAX} characters (code points: an emoji is one) after trimming, kept NFC; no control ` +
      'characters and no invisible ones (zero-width, bidi controls, other default-ignorable code points)',
  }),
  v.trim(),
  v.transform(normalizeText),
  v.check((s) => !hasInvisibleChars(s), INVISIBLE('name')),
  v.check(isValidName, `name must be 1 to ${NAME_MAX} characters, without control characters`),
)
const description = v.nullable(
  v.pipe(
    v.string('description must be a string or null'),
    v.metadata({
      maxLength: DESCRIPTION_MAX,
      description: `at most ${DESCRIPTION_MAX} characters (code points) after trimming, kept NFC`,
    }),
    v.trim(),
    v.transform(normalizeText),
    v.check(
      isValidDescription,
      `description must be at most ${DESCRIPTION_MAX} characters, ` +
        `without control characters other than tabs and line breaks`,
    ),
  ),
)
const stock = v.pipe(
  v.number(`stock must be a whole number from 0 to ${STOCK_MAX}`),
  v.metadata({ type: 'integer', minimum: 0, maximum: STOCK_MAX }),
  v.check(isValidStock, `stock must be a whole number from 0 to ${STOCK_MAX}`),
)
// null: none (on create), or clear it (on update).
const sku = v.nullable(
  v.pipe(
    v.string('sku must be a string or null'),
    v.metadata({
      minLength: 1,
      maxLength: SKU_MAX,
      description:
        `1 to ${SKU_MAX} letters, digits, dots, underscores or hyphens after trimming; unique without ` +
        `regard to case`,
    }),
    v.trim(),
    v.check(isValidSku, `sku must be 1 to ${SKU_MAX} letters, digits, dots, underscores or hyphens`),
  ),
)

export const CategoryCreateBody = v.object({
  name,
  parent_id: v.optional(v.nullable(id('parent_id'))),
  description: v.optional(description),
})

export const CategoryUpdateBody = v.object({
  name: v.optional(name),
  description: v.optional(description),
  parent_id: v.optional(v.nullable(id('parent_id'))),
})

export const ProductCreateBody = v.object({
  name,
  price: MoneyInput('price'),
  category_id: id('category_id'),
  description: v.optional(description),
  stock: v.optional(stock),
  sku: v.optional(sku),
})

export const ProductUpdateBody = v.object({
  name: v.optional(name),
  description: v.optional(description),
  price: v.optional(MoneyInput('price')),
  stock: v.optional(stock),
  category_id: v.optional(id('category_id')),
  sku: v.optional(sku),
})

export type CategoryCreate = v.InferOutput<typeof CategoryCreateBody>
export type CategoryBody = v.InferOutput<typeof CategoryUpdateBody>
export type ProductCreate = v.InferOutput<typeof ProductCreateBody>
export type ProductBody = v.InferOutput<typeof ProductUpdateBody>

export const IdParam = v.object({ id: idString('id') })

/** How many levels a tree answer holds (the top categories are the first): bounded, so is its work. */
const depth = v.optional(intString('depth', 1, TREE_DEPTH_MAX), String(TREE_DEPTH_MAX))

export const CategoryListQuery = v.object({
  ...pageEntries,
  parent_id: v.optional(idString('parent_id')),
  tree: v.optional(boolString('tree'), 'false'),
  depth,
})

/** `GET /categories/tree`: the tree's own query, without `tree` (it is always one). */
export const CategoryTreeQuery = v.object({
  ...pageEntries,
  parent_id: v.optional(idString('parent_id')),
  depth,
})

const Q_MAX = 1000
export const ProductListQuery = v.pipe(
  v.object({
    ...pageEntries,
    category_id: v.optional(idString('category_id')),
    min_price: v.optional(MoneyQuery('min_price')),
    max_price: v.optional(MoneyQuery('max_price')),
    in_stock: v.optional(boolString('in_stock')),
    q: v.optional(
      v.pipe(
        v.string('q must be given once'),
        v.maxLength(Q_MAX, `q must be at most ${Q_MAX} characters`),
        // Postgres text cannot hold NUL; no one searches for control characters.
        // biome-ignore lint/suspicious/noControlCharactersInRegex: it finds control characters, to reject them
        v.check((s) => !/[\u0000-\u001f\u007f]/.test(s), 'q must not contain control characters'),
        v.trim(),
      ),
    ),
    sort: v.optional(v.picklist(PRODUCT_SORTS, `sort must be one of ${PRODUCT_SORTS.join(', ')}`), 'id'),
  }),
  v.forward(
    v.check(
      (x) => x.min_price === undefined || x.max_price === undefined || compare(x.min_price, x.max_price) <= 0,
      'max_price must not be below min_price',
    ),
    ['max_price'],
  ),
)

export type ProductQuery = v.InferOutput<typeof ProductListQuery>

export const ProductsInCategoryQuery = v.object({
  ...pageEntries,
  include_subcategories: v.optional(boolString('include_subcategories'), 'true'),
})

// Response shapes, for the OpenAPI document.
const timestamp = v.pipe(v.string(), v.isoTimestamp())
const level = v.pipe(
  v.number(),
  v.integer(),
  v.minValue(0),
  v.description("0 for a root, the parent's level + 1 otherwise"),
)
export const CategoryRefOut = v.object({ id: IdOut, name: v.string(), level })
const categoryEntries = {
  id: IdOut,
  name: v.string(),
  description: v.nullable(v.string()),
  parent_id: v.nullable(IdOut),
  level,
  created_at: timestamp,
  updated_at: timestamp,
}
export const CategoryOut = v.object(categoryEntries)
export const CategoryWithPathOut = v.object({
  ...categoryEntries,
  path: v.pipe(
    v.array(CategoryRefOut),
    v.description('the ancestors, root first (the category itself excluded; [] for a root)'),
  ),
})
type CategoryNodeJson = v.InferOutput<typeof CategoryOut> & { children: CategoryNodeJson[] }
export const CategoryNodeOut: v.GenericSchema<CategoryNodeJson> = v.object({
  ...categoryEntries,
  children: v.pipe(
    v.array(v.lazy(() => CategoryNodeOut)),
    v.description('the child categories, each of this same shape, siblings by name ([] for a leaf)'),
  ),
})
export const ProductOut = v.object({
  id: IdOut,
  name: v.string(),
  description: v.nullable(v.string()),
  price: MoneyOut,
  stock: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(STOCK_MAX)),
  category_id: IdOut,
  sku: v.pipe(v.nullable(v.string()), v.description('null when the product has none')),
  category: CategoryRefOut,
  created_at: timestamp,
  updated_at: timestamp,
})

/** The named schemas of the OpenAPI document: a generated client's type names. */
export const catalogSchemas = {
  CategoryCreateRequest: CategoryCreateBody,
  CategoryUpdateRequest: CategoryUpdateBody,
  ProductCreateRequest: ProductCreateBody,
  ProductUpdateRequest: ProductUpdateBody,
  Category: CategoryOut,
  CategoryWithPath: CategoryWithPathOut,
  CategoryNode: CategoryNodeOut,
  CategoryRef: CategoryRefOut,
  Product: ProductOut,
}
