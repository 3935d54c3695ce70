import { Hono } from 'hono'
import * as v from 'valibot'
import { ctxOf } from '@shop/kernel/app'
import { entryNames, snakeCase } from '@shop/kernel/wire'
import { created } from '@shop/platform/http/created'
import type { AppEnv } from '@shop/platform/http/app'
import type { authenticate } from '@shop/platform/http/auth'
import { conditionalDoc, digestedJson, notModifiedFirst, tagged } from '@shop/platform/http/conditional'
import { describeRoute } from '@shop/platform/http/openapi-meta'
import { pageHeadersDoc, pagedJson } from '@shop/platform/http/pagination'
import { body, params, query } from '@shop/platform/http/validate'
import type { CatalogApplication } from '../../app/application.ts'
import { UNIQUE_FIELDS } from '../../domain/product.ts'
import { takenCode, unwrap } from './errors.ts'
import { ONE_TAG, PRODUCT_LIST_TAGS, productListTag } from './etags.ts'
import { productFields, productFilter, productJson } from './json.ts'
import {
  IdParam,
  ProductCreateBody,
  ProductListQuery,
  ProductOut,
  ProductUpdateBody,
  ProductsInCategoryQuery,
} from './schemas.ts'

const tags = ['products']
/** What both product listings answer: a tagged page, or 304 when the tag still matches. */
const productPageResponses = {
  200: {
    description: 'a page of products',
    schema: v.array(ProductOut),
    headers: { ...pageHeadersDoc, ...conditionalDoc.tagHeaders },
  },
  304: conditionalDoc.notModified,
}

/** What a clash on a unique field answers: "another product has this `sku` (code SKU_TAKEN)". */
const TAKEN =
  `another product has this ${UNIQUE_FIELDS.map((f) => `\`${snakeCase(f)}\``).join(' or ')} ` +
  `(code ${UNIQUE_FIELDS.map(takenCode).join(' or ')})`
const quoted = (names: readonly string[]) => names.map((n) => `\`${n}\``).join(', ')

/** The request id becomes the correlation id of the events a write causes. */

/** The products resource, as a sub-app mounted under /api/v1. */
export function productRoutes(
  { commands, queries }: CatalogApplication,
  admin: ReturnType<typeof authenticate>,
): Hono<AppEnv> {
  const currentListTag = async () => productListTag(await queries.catalogVersions())
  const app = new Hono<AppEnv>()

  app.post(
    '/product',
    describeRoute({
      operationId: 'createProduct',
      summary: 'Create a product (admin)',
      description:
        '`price`: a JSON number or a decimal string, above 0, at most 2 fraction digits, below 10^10. `stock` ' +
        'defaults to 0. ' +
        '`sku` (optional): 1 to 64 letters, digits, dots, underscores or hyphens, unique without regard to case. ' +
        '`id`, `version` and timestamps in the body are ignored. Announced as product.created.',
      tags,
      responses: {
        201: {
          description: 'the new product; Location names it',
          schema: ProductOut,
          headers: { Location: "the new product's URL" },
        },
      },
      errors: {
        409: TAKEN,
        422: 'invalid, or `category_id` names no category (code UNKNOWN_CATEGORY)',
      },
    }),
    admin,
    body(ProductCreateBody),
    async (c) => {
      const product = unwrap(await commands.createProduct(productFields(c.req.valid('json')), ctxOf(c)))
      return created(c, `/api/v1/product/${product.id}`, productJson(product))
    },
  )

  app.get(
    '/products',
    describeRoute({
      operationId: 'listProducts',
      summary: 'List and search products',
      description:
        '`category_id`: that category and its whole subtree (an unknown id matches nothing). ' +
        '`min_price`/`max_price`: ' +
        'inclusive bounds (max below min is 422). `in_stock=true`: stock above 0; `false`: stock 0. `q`: a ' +
        'case-insensitive ' +
        'substring of the name or the description, taken literally (`%`, `_` and `\\` are not wildcards), trimmed, ' +
        'at most ' +
        '1000 characters. `sort`: default `id`; ties are broken by id (descending sorts by id descending) so pages ' +
        'never overlap. ' +
        PRODUCT_LIST_TAGS,
      tags,
      headers: conditionalDoc.headers,
      responses: productPageResponses,
      errors: { 400: conditionalDoc.badPrecondition },
    }),
    query(ProductListQuery),
    async (c) => {
      const f = c.req.valid('query')
      const page = { limit: f.limit, offset: f.offset }
      // A conditional request: the counters first, 304 without the listing when they match. Else
      // the listing, tagged by the counters its own statement read (no read of their own).
      const held = await notModifiedFirst(c, currentListTag)
      if (held) return held
      const listed = await queries.listProducts(productFilter(f), page)
      return tagged(pagedJson(c, page, listed, productJson), productListTag(listed.asOf))
    },
  )

  app.get(
    '/products_with_category/:id',
    describeRoute({
      operationId: 'listProductsInCategory',
      summary: 'The products of a category and of every category below it',
      description:
        `By id. \`include_subcategories=false\` keeps only the category's own products. Each product ` +
        `carries its \`category\`. ${PRODUCT_LIST_TAGS}`,
      tags,
      headers: conditionalDoc.headers,
      responses: productPageResponses,
      errors: { 400: conditionalDoc.badPrecondition, 404: 'no such category' },
    }),
    params(IdParam),
    query(ProductsInCategoryQuery),
    async (c) => {
      const { limit, offset, include_subcategories } = c.req.valid('query')
      const id = c.req.valid('param').id
      const page = { limit, offset }
      const held = await notModifiedFirst(c, currentListTag)
      // A 304 only for a category that exists: an unknown one stays 404 whatever the tag.
      if (held) {
        unwrap(await queries.getCategory(id))
        return held
      }
      const listed = unwrap(await queries.productsInCategory(id, include_subcategories, page))
      return tagged(pagedJson(c, page, listed, productJson), productListTag(listed.asOf))
    },
  )

  app.get(
    '/product/:id',
    describeRoute({
      operationId: 'getProduct',
      summary: 'One product',
      description:
        `The product with its stock and its category (\`{id, name, level}\`, as the category is now). ` + `${ONE_TAG}`,
      tags,
      headers: conditionalDoc.headers,
      responses: {
        200: { description: 'the product', schema: ProductOut, headers: conditionalDoc.tagHeaders },
        304: conditionalDoc.notModified,
      },
      errors: { 400: conditionalDoc.badPrecondition, 404: 'no such product' },
    }),
    params(IdParam),
    async (c) => {
      return digestedJson(c, productJson(unwrap(await queries.getProduct(c.req.valid('param').id))))
    },
  )

  app.put(
    '/product/:id',
    describeRoute({
      operationId: 'updateProduct',
      summary: 'Change a product (admin)',
      description:
        `Any of ${quoted(entryNames(ProductUpdateBody))} (\`null\` clears it); other fields are ignored. ` +
        'A real change is announced as product.updated with the next version; a body that changes nothing returns ' +
        'the ' +
        'product as it is.',
      tags,
      responses: { 200: { description: 'the updated product', schema: ProductOut } },
      errors: {
        404: 'no such product',
        409: TAKEN,
        422: 'invalid, or `category_id` names no category (code UNKNOWN_CATEGORY)',
      },
    }),
    admin,
    params(IdParam),
    body(ProductUpdateBody),
    async (c) => {
      const product = unwrap(
        await commands.updateProduct(c.req.valid('param').id, productFields(c.req.valid('json')), ctxOf(c)),
      )
      return c.json(productJson(product))
    },
  )

  app.delete(
    '/product/:id',
    describeRoute({
      operationId: 'deleteProduct',
      summary: 'Delete a product (admin)',
      description: 'Announced as product.deleted; orders already placed keep their snapshot of it.',
      tags,
      responses: { 204: { description: 'deleted' } },
      errors: { 404: 'no such product' },
    }),
    admin,
    params(IdParam),
    async (c) => {
      unwrap(await commands.deleteProduct(c.req.valid('param').id, ctxOf(c)))
      return c.body(null, 204)
    },
  )
  return app
}
