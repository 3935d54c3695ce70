/**
 * Ceilings over HTTP with Bun.serve alone (no Hono, no validation, no middleware), through
 * postgres.js with the services' pool size (DATABASE_POOL_MAX, default 10) and prepared
 * statements (postgres.js's default, as in the services):
 *   GET /product/<id>       a primary-key select of one products row, as JSON (404 when none);
 *   GET /listing/<category> the catalog adapter's own subtree listing (the same SQL the service
 *                           runs for /api/v1/products?category_id=<category>&limit=50), as JSON
 *                           with X-Total-Count: what that SQL costs without our HTTP stack.
 *   DATABASE_URL=postgres://…/shop_bench_catalog PORT=18101 [SERVICES_ROOT=…] bun bench/ceilings/pg-http.ts
 */
import { join } from 'node:path'
import postgres from 'postgres'

const sql = postgres(process.env.DATABASE_URL!, {
  max: Number(process.env.DATABASE_POOL_MAX ?? 10),
  onnotice: () => {},
})
// The listing runs on the services' own connection settings and adapter, the product select on their
// column list (from the tree under test).
const servicesRoot = process.env.SERVICES_ROOT ?? join(import.meta.dir, '..', '..')
const { openDatabase } = await import(join(servicesRoot, 'platform', 'src', 'postgres', 'connect.ts'))
const { postgresProductReads } = await import(
  join(servicesRoot, 'catalog', 'src', 'adapters', 'postgres', 'products.ts')
)
const { productColumns } = await import(join(servicesRoot, 'catalog', 'src', 'adapters', 'postgres', 'rows.ts'))
const { silentLogger } = await import(join(servicesRoot, 'platform', 'src', 'log.ts'))
const db = await openDatabase({
  url: process.env.DATABASE_URL,
  dataDir: '',
  name: 'catalog',
  poolMax: Number(process.env.DATABASE_POOL_MAX ?? 10),
  log: silentLogger,
})
const reads = postgresProductReads(db.sql)

Bun.serve({
  port: Number(process.env.PORT ?? 18_101),
  hostname: '127.0.0.1',
  async fetch(req) {
    const path = new URL(req.url).pathname
    if (path.startsWith('/product/')) {
      const id = Number(path.slice('/product/'.length))
      const [row] = await sql`select ${productColumns.of(sql)} from products where id = ${id}`
      return row ? Response.json(row) : new Response('not found', { status: 404 })
    }
    if (path.startsWith('/listing/')) {
      const { items, total } = await reads.list(
        { categoryId: Number(path.slice('/listing/'.length)), sort: 'id' },
        { limit: 50, offset: 0 },
      )
      return Response.json(items, { headers: { 'X-Total-Count': String(total) } })
    }
    if (path === '/health/ready') {
      await sql`select 1`
      return Response.json({ status: 'ok' })
    }
    return new Response('not found', { status: 404 })
  },
})
