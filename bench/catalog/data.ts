/**
 * The catalog benchmark data set, shared by bench/catalog and bench/http: 10,000 categories
 * (20 levels deep at most) and 100,000 products, the same every run (seeded generator).
 */
import type { Sql } from '@shop/shared-kernel/postgres/connect'
import { nameKey } from '../../catalog/src/domain/name-key.ts'

const CATEGORIES = 10_000
export const PRODUCTS = 100_000
export const MAX_LEVEL = 19 // 20 levels: 0..19
export const MOVE_SIZE = 1_000

// Deterministic data: the same tree every run.
function mulberry32(seed: number) {
  return () => {
    seed |= 0
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
// Reset by buildTree, so every data set made in one process is the same (bench/ab makes two).
const SEED = 20260101
let rand = mulberry32(SEED)
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!

export interface Cat {
  id: number
  parent: number | null
  level: number
}

/**
 * The tree: 10 roots; under root 1 a chain down to level 19 (the breadcrumb case); under root 2,
 * at level 3, a subtree of exactly 1,000 nodes (the move case); the rest attached at random
 * to any category above the last level, which gives the bushy, uneven shape of real catalogs.
 */
export function buildTree(): { cats: Cat[]; deepest: number; moveRoot: number; moveTarget: number } {
  rand = mulberry32(SEED)
  const cats: Cat[] = []
  const add = (parent: Cat | null) => {
    const c = { id: cats.length + 1, parent: parent?.id ?? null, level: parent ? parent.level + 1 : 0 }
    cats.push(c)
    return c
  }
  const roots = Array.from({ length: 10 }, () => add(null))
  let deepest = roots[0]!
  while (deepest.level < MAX_LEVEL) deepest = add(deepest)
  let anchor = roots[1]!
  while (anchor.level < 2) anchor = add(anchor)
  const moveRoot = add(anchor)
  const inMove: Cat[] = [moveRoot]
  while (inMove.length < MOVE_SIZE) inMove.push(add(pick(inMove.filter((c) => c.level < 10))))
  // Departments of similar size: pick a root, then any open category of its subtree.
  const rootOf = new Map<number, number>()
  for (const c of cats) rootOf.set(c.id, c.parent === null ? c.id : rootOf.get(c.parent)!)
  const open = new Map(roots.map((r) => [r.id, cats.filter((c) => rootOf.get(c.id) === r.id && c.level < MAX_LEVEL && !inMove.includes(c))]))
  while (cats.length < CATEGORIES) {
    const root = pick(roots)
    const c = add(pick(open.get(root.id)!))
    rootOf.set(c.id, root.id)
    if (c.level < MAX_LEVEL) open.get(root.id)!.push(c)
  }
  // The move target: a category at level 8 outside the moved subtree, so every level shifts by 6.
  const moveTarget = cats.find((c) => c.level === 8 && !inMove.includes(c) && c.id !== deepest.id)!
  return { cats, deepest: deepest.id, moveRoot: moveRoot.id, moveTarget: moveTarget.id }
}

export async function load(sql: Sql, cats: Cat[]) {
  const now = new Date()
  for (let i = 0; i < cats.length; i += 5_000) {
    const chunk = cats.slice(i, i + 5_000)
    const names = chunk.map((c) => `Category ${c.id}`)
    await sql`
      insert into categories (id, name, name_key, description, parent_id, level, created_at, updated_at)
      select id, name, key, null, parent, level, ${now}, ${now}
      from unnest(${chunk.map((c) => c.id)}::bigint[], ${names}::text[], ${names.map(nameKey)}::text[],
                  ${chunk.map((c) => c.parent)}::bigint[], ${chunk.map((c) => c.level)}::int[]) as t(id, name, key, parent, level)`
  }
  const t0 = Date.UTC(2025, 0, 1)
  for (let i = 0; i < PRODUCTS; i += 5_000) {
    const n = Math.min(5_000, PRODUCTS - i)
    const names = Array.from({ length: n }, (_, k) => `Product ${i + k + 1} ${pick(['red', 'blue', 'steel', 'oak', 'mini', 'pro'])}`)
    await sql`
      insert into products (name, name_key, description, price, stock, category_id, created_at, updated_at, version)
      select name, key, 'bench product', price, stock, category_id, created_at, created_at, 1
      from unnest(${names}::text[], ${names.map(nameKey)}::text[],
                  ${Array.from({ length: n }, () => (1 + Math.floor(rand() * 100_000) / 100).toFixed(2))}::numeric[],
                  ${Array.from({ length: n }, () => (rand() < 0.2 ? 0 : Math.floor(rand() * 100)))}::int[],
                  ${Array.from({ length: n }, () => pick(cats).id)}::bigint[],
                  ${Array.from({ length: n }, (_, k) => new Date(t0 + (i + k) * 60_000).toISOString())}::timestamptz[])
        as t(name, key, price, stock, category_id, created_at)`
  }
  await sql`select setval(pg_get_serial_sequence('categories', 'id'), (select max(id) from categories))`
  await sql`select setval(pg_get_serial_sequence('products', 'id'), (select max(id) from products))`
  // As autovacuum would have by then: statistics, and a visibility map for index-only scans.
  await sql`vacuum analyze`
}
