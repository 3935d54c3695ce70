/**
 * The catalog benchmark data set, shared by bench/catalog and bench/http: 10,000 categories
 * (20 levels deep at most) and 100,000 products, the same every run (seeded generator).
 */
import type { Sql } from '@shop/platform/postgres/connect'
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

/** Departments (roots) and their sizes in categories: one huge, one large, the rest mid-sized. */
export const DEPARTMENTS = [500, 1_200, 4_556, 1_938, 302, 302, 300, 300, 300, 302] as const
export const PRODUCTS_PER_CATEGORY = PRODUCTS / CATEGORIES

/**
 * The tree: 10 roots of the sizes above (10,000 categories). Under root 1 a chain down to level
 * 19 (the breadcrumb case); under root 2, at level 3, a subtree of exactly 1,000 nodes (the move
 * case); the rest attached at random to any category of its department above the last level,
 * which gives the bushy, uneven shape of real catalogs (subtrees of every size, down to leaves).
 */
export function buildTree(): { cats: Cat[]; deepest: number; moveRoot: number; moveTarget: number } {
  rand = mulberry32(SEED)
  const cats: Cat[] = []
  const add = (parent: Cat | null) => {
    const c = { id: cats.length + 1, parent: parent?.id ?? null, level: parent ? parent.level + 1 : 0 }
    cats.push(c)
    return c
  }
  const roots = DEPARTMENTS.map(() => add(null))
  let deepest = roots[0]!
  while (deepest.level < MAX_LEVEL) deepest = add(deepest)
  let anchor = roots[1]!
  while (anchor.level < 2) anchor = add(anchor)
  const moveRoot = add(anchor)
  const inMove: Cat[] = [moveRoot]
  while (inMove.length < MOVE_SIZE) inMove.push(add(pick(inMove.filter((c) => c.level < 10))))
  const moving = new Set(inMove.map((c) => c.id))
  const rootOf = new Map<number, number>()
  for (const c of cats) rootOf.set(c.id, c.parent === null ? c.id : rootOf.get(c.parent)!)
  const open = new Map(
    roots.map((r) => [r.id, cats.filter((c) => rootOf.get(c.id) === r.id && c.level < MAX_LEVEL && !moving.has(c.id))]),
  )
  const missing = new Map(
    roots.map((r, i) => [r.id, DEPARTMENTS[i]! - cats.filter((c) => rootOf.get(c.id) === r.id).length]),
  )
  while (cats.length < CATEGORIES) {
    // A department in proportion to what it still lacks, then any open category of it.
    const wanted = [...missing.values()].reduce((a, b) => a + b, 0)
    let x = rand() * wanted
    const root =
      roots.find((r) => {
        x -= missing.get(r.id)!
        return x < 0
      }) ?? roots.find((r) => missing.get(r.id)! > 0)!
    const c = add(pick(open.get(root.id)!))
    rootOf.set(c.id, root.id)
    missing.set(root.id, missing.get(root.id)! - 1)
    if (c.level < MAX_LEVEL) open.get(root.id)!.push(c)
  }
  // The move target: a category at level 8 outside the moved subtree, so every level shifts by 6.
  const moveTarget = cats.find((c) => c.level === 8 && !moving.has(c.id) && c.id !== deepest.id)!
  return { cats, deepest: deepest.id, moveRoot: moveRoot.id, moveTarget: moveTarget.id }
}

/**
 * How products are spread over the categories: `shuffled` (10 a category, in a shuffled order: the default) or
 * `strided` (product i in category 1 + (i × 13) mod 10,000: also 10 a category, since 13 and 10,000 share no
 * factor, but a subtree's products interleaved at a fixed stride over the whole id range).
 */
export type ProductShape = 'shuffled' | 'strided'
export const LISTING_SHAPE: ProductShape = process.env.BENCH_LISTING_SHAPE === 'strided' ? 'strided' : 'shuffled'

export async function load(sql: Sql, cats: Cat[], shape: ProductShape = 'shuffled') {
  const now = new Date()
  for (let i = 0; i < cats.length; i += 5_000) {
    const chunk = cats.slice(i, i + 5_000)
    const names = chunk.map((c) => `Category ${c.id}`)
    await sql`
      insert into categories (id, name, name_key, description, parent_id, level, created_at, updated_at)
      select id, name, key, null, parent, level, ${now}, ${now}
      from unnest(${chunk.map((c) => c.id)}::bigint[], ${names}::text[], ${names.map(nameKey)}::text[],
                  ${chunk.map((c) => c.parent)}::bigint[], ${chunk.map((c) => c.level)}::int[]) as t(id, name, key,
                    parent, level)`
  }
  // 10 products per category, in a shuffled order: ids, dates and prices of a department are
  // spread over the whole catalog, as in a catalog filled over time.
  const owners = cats.flatMap((c) => Array.from({ length: PRODUCTS_PER_CATEGORY }, () => c.id))
  for (let i = owners.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[owners[i], owners[j]] = [owners[j]!, owners[i]!]
  }
  if (shape === 'strided') for (let i = 0; i < owners.length; i++) owners[i] = 1 + (((i + 1) * 13) % CATEGORIES)
  const t0 = Date.UTC(2025, 0, 1)
  for (let i = 0; i < PRODUCTS; i += 5_000) {
    const n = Math.min(5_000, PRODUCTS - i)
    const names = Array.from(
      { length: n },
      (_, k) => `Product ${i + k + 1} ${pick(['red', 'blue', 'steel', 'oak', 'mini', 'pro'])}`,
    )
    await sql`
      insert into products (name, name_key, description, price, stock, category_id, created_at, updated_at, version)
      select name, key, 'bench product', price, stock, category_id, created_at, created_at, 1
      from unnest(${names}::text[], ${names.map(nameKey)}::text[],
                  ${Array.from({ length: n }, () => (1 + Math.floor(rand() * 100_000) / 100).toFixed(2))}::numeric[],
                  ${Array.from({ length: n }, () => (rand() < 0.2 ? 0 : Math.floor(rand() * 100)))}::int[],
                  ${owners.slice(i, i + n)}::bigint[],
                  ${Array.from({ length: n }, (_, k) => new Date(t0 + (i + k) * 60_000).toISOString())}::timestamptz[])
        as t(name, key, price, stock, category_id, created_at)`
  }
  await sql`select setval(pg_get_serial_sequence('categories', 'id'), (select max(id) from categories))`
  await sql`select setval(pg_get_serial_sequence('products', 'id'), (select max(id) from products))`
  // As autovacuum would have by then: statistics, and a visibility map for index-only scans.
  await sql`vacuum analyze`
}

/**
 * `bun bench/catalog/data.ts [database-url]`: the data set on its own, into a fresh catalog
 * schema (default postgres://postgres@127.0.0.1:5432/shop_bench_catalog; dropped and migrated
 * first). It is a plain-SQL import: levels, departments, product paths, counts and the change counter come from the
 * migrations' triggers, as they would for any catalog import.
 */
if (import.meta.main) {
  const { ensureDatabase, openDatabase } = await import('@shop/platform/postgres/connect')
  const { migrate } = await import('@shop/platform/postgres/migrate')
  const { silentLogger } = await import('@shop/platform/log')
  const { MIGRATIONS } = await import('../../catalog/src/main.ts')
  const url = process.argv[2] ?? 'postgres://postgres@127.0.0.1:5432/shop_bench_catalog'
  await ensureDatabase(url, silentLogger)
  const db = await openDatabase({ url, dataDir: '', name: 'catalog', poolMax: 2, log: silentLogger })
  await db.sql`drop schema if exists public cascade`
  await db.sql`create schema public`
  await migrate(db.sql, MIGRATIONS, silentLogger)
  const t = performance.now()
  await load(db.sql, buildTree().cats)
  const [shape] = await db.sql<{ categories: number; products: number; depth: number }[]>`
    select (select count(*)::int from categories) as categories, (select count(*)::int from products) as products,
           (select max(level) + 1 from categories) as depth`
  console.log(
    `loaded ${shape!.categories} categories (${shape!.depth} levels) ` +
      `and ${shape!.products} products in ${Math.round(performance.now() - t)} ms`,
  )
  await db.close()
}
