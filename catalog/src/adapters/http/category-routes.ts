import type { Hono } from 'hono'
import * as v from 'valibot'
import type { AppEnv } from '@shop/shared-kernel/http/app'
import { describeRoute } from '@shop/shared-kernel/http/openapi-meta'
import { pageHeadersDoc, setPageHeaders } from '@shop/shared-kernel/http/pagination'
import { body, params, query } from '@shop/shared-kernel/http/validate'
import { toProblem } from './errors.ts'
import { categoryJson, nodeJson, refJson } from './json.ts'
import type { RouteDeps } from './routes.ts'
import { CategoryCreateBody, CategoryListQuery, CategoryNodeOut, CategoryOut, CategoryUpdateBody, CategoryWithPathOut, IdParam } from './schemas.ts'

const tags = ['categories']

export function categoryRoutes(app: Hono<AppEnv>, { catalog, admin }: RouteDeps): void {
  app.post(
    '/api/v1/category',
    describeRoute({
      summary: 'Create a category (admin)',
      description:
        'Without `parent_id` (or with null) it is a root (level 0); under a parent its level is the parent\'s + 1. ' +
        'Sibling names are unique without regard to case. `id`, `level` and timestamps in the body are ignored.',
      tags,
      responses: { 201: { description: 'the new category; Location names it', schema: CategoryOut, headers: { Location: 'the new category\'s URL' } } },
      errors: { 409: 'a sibling already has that name (case-insensitive)', 422: 'invalid, or `parent_id` names no category (code UNKNOWN_PARENT)' },
    }),
    admin,
    body(CategoryCreateBody),
    async (c) => {
      const b = c.req.valid('json')
      const r = await catalog.createCategory({ name: b.name, description: b.description ?? null, parentId: b.parent_id ?? null })
      if (!r.ok) throw toProblem(r.error)
      c.header('Location', `/api/v1/categories/${r.value.id}`)
      return c.json(categoryJson(r.value), 201)
    },
  )

  app.get(
    '/api/v1/categories',
    describeRoute({
      summary: 'List categories, depth-first',
      description:
        'Flat (default): every category in depth-first order, each parent right before its subtree, siblings by name ' +
        '(case-insensitive, then code point order); `limit`/`offset` page over that list and X-Total-Count counts all of it. ' +
        'With `parent_id`: only the subtree strictly below that category (itself excluded), in the same order; an unknown ' +
        '`parent_id` gives an empty list. ' +
        'With `tree=true`: an array of top categories (the roots, or the children of `parent_id`), each with nested `children` ' +
        'arrays down to the leaves (a leaf has `children: []`); then `limit`/`offset` page over the top categories and ' +
        'X-Total-Count counts them.',
      tags,
      responses: { 200: { description: 'categories (flat), or top categories with nested children (tree=true)', schema: v.array(v.union([CategoryOut, CategoryNodeOut])), headers: pageHeadersDoc } },
    }),
    query(CategoryListQuery),
    async (c) => {
      const { limit, offset, parent_id, tree } = c.req.valid('query')
      const page = { limit, offset }
      const scope = parent_id === undefined ? {} : { under: parent_id }
      if (tree) {
        const { items, total } = await catalog.categoryTree(scope, page)
        setPageHeaders(c, page, total)
        return c.json(nodeJson(items))
      }
      const { items, total } = await catalog.listCategories(scope, page)
      setPageHeaders(c, page, total)
      return c.json(items.map(categoryJson))
    },
  )

  app.get(
    '/api/v1/categories/:id',
    describeRoute({
      summary: 'One category with its path',
      description: '`path` lists the ancestors, root first, each `{id, name, level}`; the category itself is not in it (a root has `path: []`).',
      tags,
      responses: { 200: { description: 'the category and its path', schema: CategoryWithPathOut } },
      errors: { 404: 'no such category' },
    }),
    params(IdParam),
    async (c) => {
      const r = await catalog.getCategory(c.req.valid('param').id)
      if (!r.ok) throw toProblem(r.error)
      return c.json({ ...categoryJson(r.value.category), path: r.value.path.map(refJson) })
    },
  )

  app.put(
    '/api/v1/category/:id',
    describeRoute({
      summary: 'Rename, describe or move a category (admin)',
      description:
        'Any of `name`, `description`, `parent_id`. A new `parent_id` moves the category with its whole subtree, and every ' +
        'level in it is recomputed; `parent_id: null` makes it a root. Moving it under itself or any of its descendants is 409. ' +
        'Descendants whose level changes get a new `updated_at`. An empty body changes nothing and returns the category.',
      tags,
      responses: { 200: { description: 'the updated category', schema: CategoryOut } },
      errors: {
        404: 'no such category',
        409: 'a sibling (at the destination) already has that name, or the move is into its own subtree (code CATEGORY_CYCLE)',
        422: 'invalid, or `parent_id` names no category (code UNKNOWN_PARENT)',
      },
    }),
    admin,
    params(IdParam),
    body(CategoryUpdateBody),
    async (c) => {
      const b = c.req.valid('json')
      const r = await catalog.updateCategory(c.req.valid('param').id, {
        ...(b.name !== undefined ? { name: b.name } : {}),
        ...(b.description !== undefined ? { description: b.description } : {}),
        ...(b.parent_id !== undefined ? { parentId: b.parent_id } : {}),
      })
      if (!r.ok) throw toProblem(r.error)
      return c.json(categoryJson(r.value))
    },
  )

  app.delete(
    '/api/v1/category/:id',
    describeRoute({
      summary: 'Delete a category (admin)',
      description: 'Only an empty category can go: move or delete its subcategories and products first.',
      tags,
      responses: { 204: { description: 'deleted' } },
      errors: { 404: 'no such category', 409: 'it still has subcategories (CATEGORY_HAS_CHILDREN) or products (CATEGORY_HAS_PRODUCTS)' },
    }),
    admin,
    params(IdParam),
    async (c) => {
      const r = await catalog.deleteCategory(c.req.valid('param').id)
      if (!r.ok) throw toProblem(r.error)
      return c.body(null, 204)
    },
  )
}
