/**
 * Ceilings of the subtree listing (GET /api/v1/products?category_id=X&limit=50, page 1, by id):
 * Bun.serve and postgres.js alone (no Hono, no validation, no middleware; prepared statements,
 * postgres.js's default, and a pool of DATABASE_POOL_MAX, default 10), answering with the same
 * JSON as the service (each product with its category) and X-Total-Count, in two ways:
 *
 *   GET /adjacency/<category>  (a) the adjacency list: a recursive CTE gathers the subtree's
 *        categories, then each category's first 50 products by (category_id, id) — the
 *        products_category index —, merged and cut to 50; the total sums the categories'
 *        own counts (category_product_counts.products).
 *   GET /path/<category>       (b) the ancestor path: the sort's index (the primary key) walked in
 *        order, keeping the rows whose category_path holds the category, until 50; the total is
 *        the category's subtree count (one row).
 *
 * (a) reads every category of the subtree and up to 50 products of each: best for small subtrees.
 * (b) reads about 50 × all / subtree rows: best for large ones. The better of the two, per size,
 * is the ceiling bench/catalog/listing.ts holds the service to.
 *   DATABASE_URL=postgres://…/shop_bench_listing PORT=18102 bun bench/ceilings/listing.ts
 */
import postgres from 'postgres'
import { productJson } from '../../catalog/src/adapters/http/json.ts'
import { type ProductReadRow, productColumns, toProduct } from '../../catalog/src/adapters/postgres/rows.ts'

const sql = postgres(process.env.DATABASE_URL!, {
  max: Number(process.env.DATABASE_POOL_MAX ?? 10),
  onnotice: () => {},
})
const columns = productColumns.of(sql, 'p')

// bigint columns arrive as strings here (the services' pool parses them as numbers).
type Row = Omit<ProductReadRow, 'id' | 'category_id'> & { id: string; category_id: string; total: string }

const adjacency = (id: number) => sql<Row[]>`
  with recursive sub as (
    select ${id}::bigint as id
    union all
    select c.id from categories c join sub on c.parent_id = sub.id
  ), page as (
    select p.* from sub cross join lateral (
      select ${columns} from products p where p.category_id = sub.id order by p.id limit 50
    ) p
    order by p.id limit 50
  )
  select page.*, c.name as category_name, c.level as category_level,
    (select coalesce(sum(n.products), 0) from category_product_counts n where n.category_id in (select id
      from sub)) as total
  from page join categories c on c.id = page.category_id
  order by page.id`

const path = (id: number) => sql<Row[]>`
  select page.*, c.name as category_name, c.level as category_level,
    (select n.subtree from category_product_counts n where n.category_id = ${id}) as total
  from (
    select ${columns} from products p where ${id}::bigint = any(p.category_path) order by p.id limit 50
  ) page join categories c on c.id = page.category_id
  order by page.id`

const json = (rows: Row[]) =>
  Response.json(
    rows.map((r) => productJson(toProduct({ ...r, id: Number(r.id), category_id: Number(r.category_id) }))),
    { headers: { 'X-Total-Count': String(rows[0]?.total ?? 0) } },
  )

Bun.serve({
  port: Number(process.env.PORT ?? 18_102),
  hostname: '127.0.0.1',
  async fetch(req) {
    const [, kind, id] = new URL(req.url).pathname.split('/')
    if (kind === 'adjacency') return json(await adjacency(Number(id)))
    if (kind === 'path') return json(await path(Number(id)))
    if (kind === 'health') {
      await sql`select 1`
      return Response.json({ status: 'ok' })
    }
    return new Response('not found', { status: 404 })
  },
})
