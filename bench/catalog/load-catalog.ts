/**
 * The listing benchmark's loader: the bench/catalog data set (10,000 categories, 20 levels deep
 * at most, 100,000 products; the same every run) into a fresh catalog schema of a real
 * PostgreSQL database, in plain SQL (levels, departments, product paths and counts come from the migrations'
 * triggers, as for any import), then the categories whose subtrees hold about 10, 330, 4,500,
 * 19,000 and 45,000 products (the sizes bench/catalog/listing.ts measures). Ends with VACUUM
 * ANALYZE, as an import should.
 *
 *   bun bench/catalog/load-catalog.ts [database-url]
 *     default postgres://postgres@127.0.0.1:5432/shop_bench_listing (created if missing;
 *     its schema is dropped and migrated first). Prints the subtrees it picked.
 */
import { silentLogger } from '@shop/platform/log'
import { ensureDatabase, openDatabase, type Sql } from '@shop/platform/postgres/connect'
import { migrate } from '@shop/platform/postgres/migrate'
import { MIGRATIONS } from '../../catalog/src/main.ts'
import { LISTING_SHAPE, buildTree, load } from './data.ts'

/** BENCH_LISTING_SHAPE=strided loads the strided shape (see data.ts) into a database of its own. */
export const LISTING_DB =
  process.env.BENCH_LISTING_DATABASE_URL ??
  `postgres://postgres@127.0.0.1:5432/shop_bench_listing${LISTING_SHAPE === 'strided' ? '_strided' : ''}`
/** The subtree sizes (products) the listing is measured at. */
export const SIZES = [10, 330, 4_500, 19_000, 45_000] as const

export interface Subtree {
  readonly target: number
  readonly id: number
  readonly products: number
  readonly categories: number
  readonly level: number
}

/** For each target size, the category whose subtree's product count is the closest to it. */
export async function pickSubtrees(sql: Sql): Promise<Subtree[]> {
  const out: Subtree[] = []
  for (const target of SIZES) {
    const [row] = await sql<{ id: string; products: string; level: number }[]>`
      select n.category_id as id, n.subtree as products, c.level
      from category_product_counts n join categories c on c.id = n.category_id
      order by abs(n.subtree - ${target}), n.category_id limit 1`
    const id = Number(row!.id)
    const [size] = await sql<{ n: number }[]>`
      with recursive sub as (
        select id from categories where id = ${id}
        union all
        select c.id from categories c join sub on c.parent_id = sub.id
      )
      select count(*)::int as n from sub`
    out.push({ target, id, products: Number(row!.products), categories: size!.n, level: row!.level })
  }
  return out
}

/** Loads the data set into `url` (schema dropped and migrated first); returns the load time and the picked subtrees. */
export async function loadCatalog(
  url = LISTING_DB,
): Promise<{ seconds: number; categories: number; products: number; depth: number; subtrees: Subtree[] }> {
  await ensureDatabase(url, silentLogger)
  const db = await openDatabase({ url, dataDir: '', name: 'catalog', poolMax: 2, log: silentLogger })
  try {
    await db.sql`drop schema if exists public cascade`
    await db.sql`create schema public`
    await migrate(db.sql, MIGRATIONS, silentLogger)
    const t = performance.now()
    await load(db.sql, buildTree().cats, LISTING_SHAPE)
    const seconds = Math.round((performance.now() - t) / 100) / 10
    // What an import should end with (and autovacuum does later on its own): the planner's
    // statistics and the visibility map. Measured before them, a fresh load ran the service's
    // listing at half its speed (its plan was made without statistics) while the bare ceilings,
    // simpler statements, were unaffected.
    await db.sql`vacuum analyze`
    // The load's dirty pages written out now, not by a checkpoint in the middle of the measurements.
    await db.sql`checkpoint`
    const [shape] = await db.sql<{ categories: number; products: number; depth: number }[]>`
      select (select count(*)::int from categories) as categories, (select count(*)::int from products) as products,
             (select max(level) + 1 from categories) as depth`
    return { seconds, ...shape!, subtrees: await pickSubtrees(db.sql) }
  } finally {
    await db.close()
  }
}

if (import.meta.main) {
  const r = await loadCatalog(process.argv[2] ?? LISTING_DB)
  console.log(`loaded ${r.categories} categories (${r.depth} levels) and ${r.products} products in ${r.seconds} s`)
  for (const s of r.subtrees)
    console.log(
      `  ~${s.target} products: category ${s.id} ` +
        `(level ${s.level}, ${s.categories} categories, ${s.products} products)`,
    )
}
