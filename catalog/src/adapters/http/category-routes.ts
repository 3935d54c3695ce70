import { type Context, Hono } from 'hono'
import * as v from 'valibot'
import { created } from '@shop/platform/http/created'
import type { AppEnv } from '@shop/platform/http/app'
import type { authenticate } from '@shop/platform/http/auth'
import { conditionalDoc, conditionalRead, digestedJson } from '@shop/platform/http/conditional'
import { describeRoute } from '@shop/platform/http/openapi-meta'
import { pageHeadersDoc, pagedJson, setPageHeaders } from '@shop/platform/http/pagination'
import { body, params, query } from '@shop/platform/http/validate'
import type { CatalogApplication } from '../../app/application.ts'
import { TREE_DEPTH_MAX } from '../../app/category-queries.ts'
import { unwrap } from './errors.ts'
import { CATEGORY_LIST_TAGS, ONE_TAG, categoryListTag } from './etags.ts'
import { categoryFields, categoryJson, nodeJson, refJson } from './json.ts'
import {
  CategoryCreateBody,
  CategoryListQuery,
  CategoryNodeOut,
  CategoryOut,
  CategoryTreeQuery,
  CategoryUpdateBody,
  CategoryWithPathOut,
  IdParam,
} from './schemas.ts'

const tags = ['categories']

/** What the tree answers say of their bound. */
const TREE_BOUND =
  `The tree is bounded, not paginated below the top categories: \`depth\` levels (1 to ${TREE_DEPTH_MAX}, ` +
  `default ${TREE_DEPTH_MAX}; the top categories are the first), so a request's work stays bounded however ` +
  'deep the hierarchy. A node on the last level is given with `children: []` whatever it holds; the tree ' +
  'with `parent_id` set to it goes on from there.'

/** The categories resource, as a sub-app mounted under /api/v1. */
export function categoryRoutes(
  { commands, queries }: CatalogApplication,
  admin: ReturnType<typeof authenticate>,
): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  /** One page of top categories with their subtrees (`?tree=true` and `/categories/tree`). */
  const treeJson = async (
    c: Context<AppEnv>,
    scope: Parameters<typeof queries.categoryTree>[0],
    page: { limit: number; offset: number },
    depth: number,
  ) => {
    const { items, total } = await queries.categoryTree(scope, page, depth)
    setPageHeaders(c, page, total)
    return c.json(nodeJson(items))
  }
  app.post(
    '/category',
    describeRoute({
      operationId: 'createCategory',
      summary: 'Create a category (admin)',
      description:
        "Without `parent_id` (or with null) it is a root (level 0); under a parent its level is the parent's + 1. " +
        'Sibling names are unique without regard to case. `id`, `level` and timestamps in the body are ignored.',
      tags,
      responses: {
        201: {
          description: 'the new category; Location names it',
          schema: CategoryOut,
          headers: { Location: "the new category's URL" },
        },
      },
      errors: {
        409: 'a sibling already has that name (case-insensitive)',
        422: 'invalid, or `parent_id` names no category (code UNKNOWN_PARENT)',
      },
    }),
    admin,
    body(CategoryCreateBody),
    async (c) => {
      const category = unwrap(await commands.createCategory(categoryFields(c.req.valid('json'))))
      return created(c, `/api/v1/categories/${category.id}`, categoryJson(category))
    },
  )

  app.get(
    '/categories',
    describeRoute({
      operationId: 'listCategories',
      summary: 'List categories, depth-first',
      description:
        'Flat (default): every category in depth-first order, each parent right before its subtree, ' +
        'siblings by name (case-insensitive, then code point order); `limit`/`offset` page over ' +
        'that list and X-Total-Count counts all of it. With `parent_id`: only the subtree strictly ' +
        'below that category (itself excluded), in the same order; an unknown `parent_id` gives an ' +
        'empty list. With `tree=true`: an array of top categories (the roots, or the children of ' +
        '`parent_id`), each with nested `children` arrays down to the leaves (a leaf has `children: ' +
        '[]`), `depth` levels at most; then `limit`/`offset` page over the top categories and X-Total-Count ' +
        `counts them. ${TREE_BOUND} A flat page costs its limit, whatever its offset or the depth of the tree. ` +
        CATEGORY_LIST_TAGS,
      tags,
      headers: conditionalDoc.headers,
      responses: {
        200: {
          description: 'categories (flat), or top categories with nested children (tree=true)',
          schema: v.array(v.union([CategoryOut, CategoryNodeOut])),
          headers: { ...pageHeadersDoc, ...conditionalDoc.tagHeaders },
        },
        304: conditionalDoc.notModified,
      },
      errors: { 400: conditionalDoc.badPrecondition },
    }),
    query(CategoryListQuery),
    async (c) => {
      const { limit, offset, parent_id, tree, depth } = c.req.valid('query')
      const page = { limit, offset }
      const scope = parent_id === undefined ? {} : { under: parent_id }
      // The counters first, the listing after: see catalogVersions.
      const tag = categoryListTag(await queries.catalogVersions())
      return conditionalRead(c, tag, async () => {
        if (tree) return treeJson(c, scope, page, depth)
        return pagedJson(c, page, await queries.listCategories(scope, page), categoryJson)
      })
    },
  )

  // Before /categories/:id, which would take `tree` for an id.
  app.get(
    '/categories/tree',
    describeRoute({
      operationId: 'listCategoryTree',
      summary: 'The category tree, nested',
      description:
        'The answer of `GET /api/v1/categories?tree=true` as an operation of its own, so that a generated ' +
        'client types it as nodes with `children` (no union to narrow): the top categories (the roots, or the ' +
        'children of `parent_id`), each with nested `children` down to the leaves (a leaf has `children: []`), ' +
        'depth-first, siblings by name; `limit`/`offset` page over the top categories and X-Total-Count counts ' +
        `them. ${TREE_BOUND} An unknown \`parent_id\` gives an empty list. ${CATEGORY_LIST_TAGS}`,
      tags,
      headers: conditionalDoc.headers,
      responses: {
        200: {
          description: 'the top categories, each with its subtree',
          schema: v.array(CategoryNodeOut),
          headers: { ...pageHeadersDoc, ...conditionalDoc.tagHeaders },
        },
        304: conditionalDoc.notModified,
      },
      errors: { 400: conditionalDoc.badPrecondition },
    }),
    query(CategoryTreeQuery),
    async (c) => {
      const { limit, offset, parent_id, depth } = c.req.valid('query')
      const tag = categoryListTag(await queries.catalogVersions())
      return conditionalRead(c, tag, () =>
        treeJson(c, parent_id === undefined ? {} : { under: parent_id }, { limit, offset }, depth),
      )
    },
  )

  app.get(
    '/categories/:id',
    describeRoute({
      operationId: 'getCategory',
      summary: 'One category with its path',
      description:
        `\`path\` lists the ancestors, root first, each \`{id, name, level}\`; ` +
        `the category itself is not in it (a root has \`path: []\`). ${ONE_TAG}`,
      tags,
      headers: conditionalDoc.headers,
      responses: {
        200: {
          description: 'the category and its path',
          schema: CategoryWithPathOut,
          headers: conditionalDoc.tagHeaders,
        },
        304: conditionalDoc.notModified,
      },
      errors: { 400: conditionalDoc.badPrecondition, 404: 'no such category' },
    }),
    params(IdParam),
    async (c) => {
      const { category, path } = unwrap(await queries.getCategory(c.req.valid('param').id))
      return digestedJson(c, { ...categoryJson(category), path: path.map(refJson) })
    },
  )

  app.put(
    '/category/:id',
    describeRoute({
      operationId: 'updateCategory',
      summary: 'Rename, describe or move a category (admin)',
      description:
        'Any of `name`, `description`, `parent_id`. A new `parent_id` moves the category with ' +
        'its whole subtree, and every level in it is recomputed; `parent_id: null` makes it a ' +
        'root. Moving it under itself or any of its descendants is 409. Descendants whose level ' +
        'changes get a new `updated_at`. An empty body changes nothing and returns the category.',
      tags,
      responses: { 200: { description: 'the updated category', schema: CategoryOut } },
      errors: {
        404: 'no such category',
        409:
          'a sibling (at the destination) already has that name, or ' +
          'the move is into its own subtree (code CATEGORY_CYCLE)',
        422: 'invalid, or `parent_id` names no category (code UNKNOWN_PARENT)',
      },
    }),
    admin,
    params(IdParam),
    body(CategoryUpdateBody),
    async (c) => {
      const category = unwrap(
        await commands.updateCategory(c.req.valid('param').id, categoryFields(c.req.valid('json'))),
      )
      return c.json(categoryJson(category))
    },
  )

  app.delete(
    '/category/:id',
    describeRoute({
      operationId: 'deleteCategory',
      summary: 'Delete a category (admin)',
      description: 'Only an empty category can go: move or delete its subcategories and products first.',
      tags,
      responses: { 204: { description: 'deleted' } },
      errors: {
        404: 'no such category',
        409: 'it still has subcategories (CATEGORY_HAS_CHILDREN) or products (CATEGORY_HAS_PRODUCTS)',
      },
    }),
    admin,
    params(IdParam),
    async (c) => {
      unwrap(await commands.deleteCategory(c.req.valid('param').id))
      return c.body(null, 204)
    },
  )
  return app
}
