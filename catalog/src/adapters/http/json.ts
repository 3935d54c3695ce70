import type { Category, CategoryRef } from '../../domain/category.ts'
import type { Product } from '../../domain/product.ts'
import type { CategoryNode } from '../../domain/tree.ts'

export const categoryJson = (c: Category) => ({
  id: c.id,
  name: c.name,
  description: c.description,
  parent_id: c.parentId,
  level: c.level,
  created_at: c.createdAt.toISOString(),
  updated_at: c.updatedAt.toISOString(),
})

export const refJson = (r: CategoryRef) => ({ id: r.id, name: r.name, level: r.level })

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

export const productJson = (p: Product) => ({
  id: p.id,
  name: p.name,
  description: p.description,
  price: p.price,
  stock: p.stock,
  category_id: p.categoryId,
  category: refJson(p.category),
  created_at: p.createdAt.toISOString(),
  updated_at: p.updatedAt.toISOString(),
})
