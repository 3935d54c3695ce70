import type * as v from 'valibot'
import type { NewCategoryInput } from '../../app/create-category.ts'
import type { Category, CategoryChanges, CategoryRef } from '../../domain/category.ts'
import type { NewProductInput, Product, ProductChanges, ProductFilter } from '../../domain/product.ts'
import type { CategoryNode } from '../../domain/tree.ts'
import type {
  CategoryBody,
  CategoryCreate,
  CategoryOut,
  CategoryRefOut,
  ProductBody,
  ProductCreate,
  ProductOut,
  ProductQuery,
} from './schemas.ts'

/**
 * The one place per resource where the wire's snake_case meets the core's camelCase, both ways.
 * A field absent from a body stays undefined, which the use cases read as "unchanged". What goes
 * out is typed by its response schema, so a field the schema declares cannot be left out here.
 */

export function categoryFields(b: CategoryCreate): NewCategoryInput
export function categoryFields(b: CategoryBody): CategoryChanges
export function categoryFields(b: CategoryBody): CategoryChanges {
  return { name: b.name, description: b.description, parentId: b.parent_id }
}

export const categoryJson = (c: Category): v.InferOutput<typeof CategoryOut> => ({
  id: c.id,
  name: c.name,
  description: c.description,
  parent_id: c.parentId,
  level: c.level,
  created_at: c.createdAt.toISOString(),
  updated_at: c.updatedAt.toISOString(),
})

export const refJson = (r: CategoryRef): v.InferOutput<typeof CategoryRefOut> => ({
  id: r.id,
  name: r.name,
  level: r.level,
})

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
  return {
    name: b.name,
    description: b.description,
    price: b.price,
    stock: b.stock,
    categoryId: b.category_id,
    sku: b.sku,
  }
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
  id: p.id,
  name: p.name,
  description: p.description,
  price: p.price,
  stock: p.stock,
  category_id: p.categoryId,
  sku: p.sku,
  category: refJson(p.category),
  created_at: p.createdAt.toISOString(),
  updated_at: p.updatedAt.toISOString(),
})
