/**
 * The subtree listing's SQL alone, before and after the per-category counts (A/B, alternating),
 * with `callers` concurrent callers on a pool of 10, on the bench/http catalog database
 * (shop_bench_catalog, which has category_product_counts). Prints queries/s and latency.
 *   bun bench/catalog/listing-sql.ts [seconds=5] [rounds=3] [callers=10]
 */
import postgres from 'postgres'
import { productReadColumns } from '../../catalog/src/adapters/postgres/rows.ts'
import { percentiles } from '../lib/measure.ts'
import { dbName, dbUrl } from '../lib/shop.ts'

const [seconds = '5', rounds = '3', callers = '10'] = process.argv.slice(2)
const sql = postgres(dbUrl(dbName('catalog')), { max: 10, onnotice: () => {} })
const [big] = await sql<
  { id: string }[]
>`select id from categories where parent_id is null order by id limit 1 offset 1`
const root = Number(big!.id)
const q = {
  count: (id: number) => sql`
    with recursive sub as (select ${id}::bigint as id union all select c.id from categories c join sub on c.parent_id =
      sub.id)
    select ${productReadColumns(sql)},
      (select count(*)::int from products p where true and p.category_id = any(array(select id from sub))) as total
    from (select p.id from products p where true and p.category_id = any(array(select id from sub)) order by p.id limit
      50 offset 0) page
    join products p on p.id = page.id join categories c on c.id = p.category_id order by p.id`,
  counts: (id: number) => sql`
    with recursive sub as (select ${id}::bigint as id union all select c.id from categories c join sub on c.parent_id =
      sub.id)
    select ${productReadColumns(sql)},
      (select coalesce(sum(n.products), 0)::int from category_product_counts n where n.category_id = any(array(select
        id from sub))) as total
    from (select p.id from products p where true and p.category_id = any(array(select id from sub)) order by p.id limit
      50 offset 0) page
    join products p on p.id = page.id join categories c on c.id = p.category_id order by p.id`,
}
const out: Record<string, { qps: number[]; p50: number[] }> = {
  count: { qps: [], p50: [] },
  counts: { qps: [], p50: [] },
}
for (let r = 0; r < Number(rounds); r++) {
  for (const k of (r % 2 ? ['counts', 'count'] : ['count', 'counts']) as (keyof typeof q)[]) {
    for (let i = 0; i < 10; i++) await q[k](root)
    const lat: number[] = []
    const until = performance.now() + Number(seconds) * 1000
    await Promise.all(
      Array.from({ length: Number(callers) }, async () => {
        while (performance.now() < until) {
          const t = performance.now()
          await q[k](root)
          lat.push(performance.now() - t)
        }
      }),
    )
    out[k]!.qps.push(Math.round((lat.length / Number(seconds)) * 10) / 10)
    out[k]!.p50.push(percentiles(lat).p50)
  }
}
console.log(JSON.stringify({ root, callers: Number(callers), seconds: Number(seconds), ...out }))
await sql.end()
