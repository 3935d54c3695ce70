import type * as v from 'valibot'
import { camelKeys, wireOf } from '@shop/kernel/wire'
import type { NewCategoryInput } from '../../app/create-category.ts'
import type { Category, CategoryChanges, CategoryRef } from '../../domain/category.ts'
import type { NewProductInput, Product, ProductChanges, ProductFilter } from '../../domain/product.ts'
import type { CategoryNode } from '../../domain/tree.ts'
import {
  type CategoryBody,
  type CategoryCreate,
  CategoryOut,
  CategoryRefOut,
  type ProductBody,
  type ProductCreate,
  ProductOut,
  type ProductQuery,
} from './schemas.ts'

/**
 * The one place per resource where the wire's snake_case meets the core's camelCase, both ways:
 * fields are renamed by rule (camelKeys, wireOf), so only those that are more than renamed are named
 * here. A field absent from a body stays absent, which the use cases read as "unchanged". What goes
 * out is cut to its response schema's fields (wireOf) and typed by it, so a field the schema
 * declares cannot be left out, nor one it does not shown.
 */

export function categoryFields(b: CategoryCreate): NewCategoryInput
export function categoryFields(b: CategoryBody): CategoryChanges
export function categoryFields(b: CategoryBody): CategoryChanges {
  return camelKeys(b)
}

export const categoryJson = (c: Category): v.InferOutput<typeof CategoryOut> => ({
  ...wireOf(CategoryOut, c),
  created_at: c.createdAt.toISOString(),
  updated_at: c.updatedAt.toISOString(),
})

export const refJson = (r: CategoryRef): v.InferOutput<typeof CategoryRefOut> => wireOf(CategoryRefOut, r)

type NodeJson = ReturnType<typeof categoryJson> & { children: NodeJson[] }

/** Iterative, like every tree walk here: a deep tree must not exhaust the stack. */
export function nodeJson(roots: readonly CategoryNode[]): NodeJson[] {
  const out: NodeJson[] = []
  const stack: [CategoryNode, NodeJson[]][] = roots.map((n) => [n, out] as [CategoryNode, NodeJson[]]).reverse()
  while (stack.length) {
    const [node, into] = stack.pop()!
    const json: NodeJson = { ...categoryJson(node), children: [] }
    into.push(json)
    for (let i = node.children.length - 1; i >= 0; i--) stack.push([node.children[i]!, json.children])
  }
  return out
}

export function productFields(b: ProductCreate): NewProductInput
export function productFields(b: ProductBody): ProductChanges
export function productFields(b: ProductBody): ProductChanges {
  return camelKeys(b)
}

export const productFilter = (f: ProductQuery): ProductFilter => ({
  sort: f.sort,
  categoryId: f.category_id,
  minPrice: f.min_price,
  maxPrice: f.max_price,
  inStock: f.in_stock,
  q: f.q,
})

export const productJson = (p: Product): v.InferOutput<typeof ProductOut> => ({
  ...wireOf(ProductOut, p),
  category: refJson(p.category),
  created_at: p.createdAt.toISOString(),
  updated_at: p.updatedAt.toISOString(),
})
