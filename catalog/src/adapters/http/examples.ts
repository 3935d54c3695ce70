import { INVISIBLE } from '@shop/platform/http/validate'
import type { ExampleBook } from '@shop/platform/http/openapi-meta'

/**
 * The examples of the catalog's OpenAPI document, written from what `make seed` leaves behind (Electronics >
 * Computers > Laptops, the laptop and the mouse, ...). tests/openapi/examples.test.ts checks each against its schema.
 */
const ELECTRONICS = {
  id: 1,
  name: 'Electronics',
  description: 'Things with a plug',
  parent_id: null,
  level: 0,
  created_at: '2026-12-06T04:06:03.344Z',
  updated_at: '2026-12-06T04:06:03.344Z',
}
const COMPUTERS = { ...ELECTRONICS, id: 2, name: 'Computers', description: null, parent_id: 1, level: 1 }
const LAPTOPS = { ...ELECTRONICS, id: 3, name: 'Laptops', description: null, parent_id: 2, level: 2 }
const ACCESSORIES = { ...ELECTRONICS, id: 4, name: 'Accessories', description: null, parent_id: 2, level: 2 }
const PHONES = { ...ELECTRONICS, id: 5, name: 'Phones', description: null, parent_id: 1, level: 1 }
const FICTION = { ...ELECTRONICS, id: 10, name: 'Fiction', description: null, parent_id: 9, level: 1 }
const LAPTOP = {
  id: 1,
  name: 'Laptop 14"',
  description: '14-inch, 16 GB, 512 GB SSD',
  price: '1299.00',
  stock: 4,
  category_id: 3,
  sku: 'LAP-14-16-512',
  category: { id: 3, name: 'Laptops', level: 2 },
  created_at: '2026-12-06T04:06:03.519Z',
  updated_at: '2026-12-06T04:06:03.821Z',
}
const ULTRABOOK = {
  ...LAPTOP,
  id: 2,
  name: 'Ultrabook 13"',
  description: null,
  price: '1599.90',
  stock: 2,
  sku: null,
  created_at: '2026-12-06T04:06:03.566Z',
  updated_at: '2026-12-06T04:06:03.566Z',
}
const MOUSE = {
  ...LAPTOP,
  id: 3,
  name: 'Wireless mouse',
  description: null,
  price: '24.90',
  stock: 48,
  category_id: 4,
  sku: null,
  category: { id: 4, name: 'Accessories', level: 2 },
}
const leaf = <T>(c: T) => ({ ...c, children: [] })
const missingCategory = (id: number) => ({ code: 'CATEGORY_NOT_FOUND', detail: `category ${id} not found` })
const missingProduct = (id: number) => ({ code: 'PRODUCT_NOT_FOUND', detail: `product ${id} not found` })
const notModified = {
  code: 'INVALID_PRECONDITION',
  detail: 'If-None-Match must be "*" or a comma-separated list of entity tags, each quoted, e.g. W/"1a2b" or "1a2b"',
}

export const catalogExamples: ExampleBook = {
  createCategory: {
    request: { name: 'Tablets', parent_id: 2, description: 'Big screens, no keyboard' },
    responses: { 201: { ...COMPUTERS, id: 11, name: 'Tablets', description: 'Big screens, no keyboard', level: 2 } },
    problems: {
      409: {
        code: 'CATEGORY_NAME_TAKEN',
        detail: 'a sibling category is already named "Laptops" (names are compared without case)',
      },
      422: {
        code: 'VALIDATION_FAILED',
        detail: 'the request body is invalid',
        errors: [{ path: 'name', message: INVISIBLE('name') }],
      },
    },
  },
  listCategories: {
    parameters: { parent_id: 1, tree: false, depth: 100 },
    responses: { 200: [COMPUTERS, ACCESSORIES, LAPTOPS, PHONES] },
    problems: { 400: notModified },
  },
  listCategoryTree: {
    parameters: { parent_id: 1, depth: 100 },
    responses: { 200: [{ ...COMPUTERS, children: [leaf(ACCESSORIES), leaf(LAPTOPS)] }, leaf(PHONES)] },
    problems: { 400: notModified },
  },
  getCategory: {
    parameters: { id: 3 },
    responses: {
      200: {
        ...LAPTOPS,
        path: [
          { id: 1, name: 'Electronics', level: 0 },
          { id: 2, name: 'Computers', level: 1 },
        ],
      },
    },
    problems: { 400: notModified, 404: missingCategory(3) },
  },
  updateCategory: {
    parameters: { id: 10 },
    request: { name: 'Fiction', parent_id: 9, description: 'Novels and short stories' },
    responses: { 200: { ...FICTION, description: 'Novels and short stories', updated_at: '2026-12-06T09:20:11.250Z' } },
    problems: {
      404: missingCategory(10),
      409: {
        code: 'CATEGORY_CYCLE',
        detail: 'category 9 cannot move under 10: that is itself or one of its descendants',
      },
    },
  },
  deleteCategory: {
    parameters: { id: 9 },
    problems: {
      404: missingCategory(9),
      409: { code: 'CATEGORY_HAS_CHILDREN', detail: 'category 9 still has subcategories' },
    },
  },
  createProduct: {
    request: {
      name: 'Laptop 14"',
      price: '1299.00',
      stock: 5,
      category_id: 3,
      description: '14-inch, 16 GB, 512 GB SSD',
      sku: 'LAP-14-16-512',
    },
    responses: { 201: { ...LAPTOP, stock: 5, updated_at: LAPTOP.created_at } },
    problems: {
      409: {
        code: 'SKU_TAKEN',
        detail: 'another product already has the SKU "LAP-14-16-512" (SKUs are compared without case)',
      },
    },
  },
  listProducts: {
    parameters: {
      category_id: 2,
      min_price: '20.00',
      max_price: '2000.00',
      in_stock: true,
      q: 'laptop',
      sort: 'price',
      limit: 2,
    },
    responses: { 200: [LAPTOP, ULTRABOOK] },
    problems: { 400: notModified },
  },
  listProductsInCategory: {
    parameters: { id: 2, include_subcategories: true, limit: 2 },
    responses: { 200: [LAPTOP, MOUSE] },
    problems: { 400: notModified, 404: missingCategory(2) },
  },
  getProduct: {
    parameters: { id: 1 },
    responses: { 200: LAPTOP },
    problems: { 400: notModified, 404: missingProduct(1) },
  },
  updateProduct: {
    parameters: { id: 1 },
    request: { price: '1249.00', stock: 10 },
    responses: { 200: { ...LAPTOP, price: '1249.00', stock: 10, updated_at: '2026-12-06T09:25:40.117Z' } },
    problems: {
      404: missingProduct(1),
      409: {
        code: 'SKU_TAKEN',
        detail: 'another product already has the SKU "LAP-14-16-512" (SKUs are compared without case)',
      },
    },
  },
  deleteProduct: { parameters: { id: 3 }, problems: { 404: missingProduct(3) } },
}
