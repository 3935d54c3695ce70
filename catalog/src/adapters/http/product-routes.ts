import type { Hono } from 'hono'
import * as v from 'valibot'
import type { AppEnv } from '@shop/shared-kernel/http/app'
import { describeRoute } from '@shop/shared-kernel/http/openapi-meta'
import { pageHeadersDoc, setPageHeaders } from '@shop/shared-kernel/http/pagination'
import { body, params, query } from '@shop/shared-kernel/http/validate'
import { toProblem } from './errors.ts'
import { productJson } from './json.ts'
import type { RouteDeps } from './routes.ts'
import { IdParam, ProductCreateBody, ProductListQuery, ProductOut, ProductUpdateBody, ProductsInCategoryQuery } from './schemas.ts'

const tags = ['products']

export function productRoutes(app: Hono<AppEnv>, { catalog, admin }: RouteDeps): void {
  const ctx = (c: { get(k: 'requestId'): string }) => ({ correlationId: c.get('requestId') })

  app.post(
    '/api/v1/product',
    describeRoute({
      summary: 'Create a product (admin)',
      description:
        '`price`: a JSON number or a decimal string, above 0, at most 2 fraction digits, below 10^10. `stock` defaults to 0. ' +
        '`id`, `version` and timestamps in the body are ignored. Announced as product.created.',
      tags,
      responses: { 201: { description: 'the new product; Location names it', schema: ProductOut, headers: { Location: 'the new product\'s URL' } } },
      errors: { 422: 'invalid, or `category_id` names no category (code UNKNOWN_CATEGORY)' },
    }),
    admin,
    body(ProductCreateBody),
    async (c) => {
      const b = c.req.valid('json')
      const r = await catalog.createProduct(
        { name: b.name, description: b.description ?? null, price: b.price, stock: b.stock ?? 0, categoryId: b.category_id },
        ctx(c),
      )
      if (!r.ok) throw toProblem(r.error)
      c.header('Location', `/api/v1/product/${r.value.id}`)
      return c.json(productJson(r.value), 201)
    },
  )

  app.get(
    '/api/v1/products',
    describeRoute({
      summary: 'List and search products',
      description:
        '`category_id`: that category and its whole subtree (an unknown id matches nothing). `min_price`/`max_price`: ' +
        'inclusive bounds (max below min is 422). `in_stock=true`: stock above 0; `false`: stock 0. `q`: a case-insensitive ' +
        'substring of the name or the description, taken literally (`%`, `_` and `\\` are not wildcards), trimmed, at most ' +
        '1000 characters. `sort`: default `id`; ties are broken by id (descending sorts by id descending) so pages never overlap.',
      tags,
      responses: { 200: { description: 'a page of products', schema: v.array(ProductOut), headers: pageHeadersDoc } },
    }),
    query(ProductListQuery),
    async (c) => {
      const f = c.req.valid('query')
      const page = { limit: f.limit, offset: f.offset }
      const { items, total } = await catalog.listProducts(
        {
          sort: f.sort,
          ...(f.category_id !== undefined ? { categoryId: f.category_id } : {}),
          ...(f.min_price !== undefined ? { minPrice: f.min_price } : {}),
          ...(f.max_price !== undefined ? { maxPrice: f.max_price } : {}),
          ...(f.in_stock !== undefined ? { inStock: f.in_stock } : {}),
          ...(f.q ? { q: f.q } : {}),
        },
        page,
      )
      setPageHeaders(c, page, total)
      return c.json(items.map(productJson))
    },
  )

  app.get(
    '/api/v1/products_with_category/:id',
    describeRoute({
      summary: 'The products of a category and of every category below it',
      description: 'By id. `include_subcategories=false` keeps only the category\'s own products. Each product carries its `category`.',
      tags,
      responses: { 200: { description: 'a page of products', schema: v.array(ProductOut), headers: pageHeadersDoc } },
      errors: { 404: 'no such category' },
    }),
    params(IdParam),
    query(ProductsInCategoryQuery),
    async (c) => {
      const { limit, offset, include_subcategories } = c.req.valid('query')
      const page = { limit, offset }
      const r = await catalog.productsInCategory(c.req.valid('param').id, include_subcategories, page)
      if (!r.ok) throw toProblem(r.error)
      setPageHeaders(c, page, r.value.total)
      return c.json(r.value.items.map(productJson))
    },
  )

  app.get(
    '/api/v1/product/:id',
    describeRoute({
      summary: 'One product',
      tags,
      responses: { 200: { description: 'the product', schema: ProductOut } },
      errors: { 404: 'no such product' },
    }),
    params(IdParam),
    async (c) => {
      const r = await catalog.getProduct(c.req.valid('param').id)
      if (!r.ok) throw toProblem(r.error)
      return c.json(productJson(r.value))
    },
  )

  app.put(
    '/api/v1/product/:id',
    describeRoute({
      summary: 'Change a product (admin)',
      description:
        'Any of `name`, `description`, `price`, `stock`, `category_id`; other fields are ignored. A real change is announced ' +
        'as product.updated with the next version; a body that changes nothing returns the product as it is.',
      tags,
      responses: { 200: { description: 'the updated product', schema: ProductOut } },
      errors: { 404: 'no such product', 422: 'invalid, or `category_id` names no category (code UNKNOWN_CATEGORY)' },
    }),
    admin,
    params(IdParam),
    body(ProductUpdateBody),
    async (c) => {
      const b = c.req.valid('json')
      const r = await catalog.updateProduct(
        c.req.valid('param').id,
        {
          ...(b.name !== undefined ? { name: b.name } : {}),
          ...(b.description !== undefined ? { description: b.description } : {}),
          ...(b.price !== undefined ? { price: b.price } : {}),
          ...(b.stock !== undefined ? { stock: b.stock } : {}),
          ...(b.category_id !== undefined ? { categoryId: b.category_id } : {}),
        },
        ctx(c),
      )
      if (!r.ok) throw toProblem(r.error)
      return c.json(productJson(r.value))
    },
  )

  app.delete(
    '/api/v1/product/:id',
    describeRoute({
      summary: 'Delete a product (admin)',
      description: 'Announced as product.deleted; orders already placed keep their snapshot of it.',
      tags,
      responses: { 204: { description: 'deleted' } },
      errors: { 404: 'no such product' },
    }),
    admin,
    params(IdParam),
    async (c) => {
      const r = await catalog.deleteProduct(c.req.valid('param').id, ctx(c))
      if (!r.ok) throw toProblem(r.error)
      return c.body(null, 204)
    },
  )
}
