import type { Category } from './category.ts'
import { compareKeys, nameKey } from './name-key.ts'

/**
 * The tree rules in plain code, over a list of categories: what the postgres adapter does with
 * recursive CTEs, the memory adapter does with these (and the tests check both agree).
 * Iterative, never recursive: the hierarchy has no depth limit.
 */

export interface CategoryNode extends Category {
  readonly children: readonly CategoryNode[]
}

const bySiblingOrder = (a: Category, b: Category) => compareKeys(nameKey(a.name), nameKey(b.name)) || a.id - b.id

export function childrenIndex(all: Iterable<Category>): Map<number | null, Category[]> {
  const index = new Map<number | null, Category[]>()
  for (const c of all) {
    const list = index.get(c.parentId)
    if (list) list.push(c)
    else index.set(c.parentId, [c])
  }
  for (const list of index.values()) list.sort(bySiblingOrder)
  return index
}

/**
 * Depth-first from `tops` (in their order): each category followed by its subtree, siblings by
 * name, down to `depth` levels (the tops are the first).
 */
export function depthFirst(
  index: Map<number | null, Category[]>,
  tops: readonly Category[],
  depth = Number.POSITIVE_INFINITY,
): Category[] {
  const out: Category[] = []
  const stack = [...tops].reverse().map((c) => ({ c, d: 1 }))
  while (stack.length) {
    const { c, d } = stack.pop()!
    out.push(c)
    const kids = d < depth ? index.get(c.id) : undefined
    if (kids) for (let i = kids.length - 1; i >= 0; i--) stack.push({ c: kids[i]!, d: d + 1 })
  }
  return out
}

/** The ids of a category and of everything below it. */
export function subtreeIds(index: Map<number | null, Category[]>, rootId: number): Set<number> {
  const ids = new Set<number>([rootId])
  const stack = [rootId]
  while (stack.length) {
    for (const k of index.get(stack.pop()!) ?? []) {
      ids.add(k.id)
      stack.push(k.id)
    }
  }
  return ids
}

/** A category and its ancestors, root first, the category last; empty when unknown. */
export function lineageOf(byId: ReadonlyMap<number, Category>, id: number): Category[] {
  const chain: Category[] = []
  const seen = new Set<number>()
  for (let c = byId.get(id); c && !seen.has(c.id); c = c.parentId === null ? undefined : byId.get(c.parentId)) {
    seen.add(c.id)
    chain.push(c)
  }
  return chain.reverse()
}

/**
 * Nests a depth-first list into `children` arrays. A category whose parent is not in the list
 * is a top node, so a page of subtrees nests into one tree per top category.
 */
export function nest(depthFirstList: readonly Category[]): CategoryNode[] {
  type Mutable = Category & { children: Mutable[] }
  const nodes = new Map<number, Mutable>()
  const tops: Mutable[] = []
  for (const c of depthFirstList) {
    const node: Mutable = { ...c, children: [] }
    nodes.set(c.id, node)
    const parent = c.parentId === null ? undefined : nodes.get(c.parentId)
    if (parent) parent.children.push(node)
    else tops.push(node)
  }
  return tops
}
