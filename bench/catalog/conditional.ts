/**
 * Conditional reads (a script, not a test): `bun bench/catalog/conditional.ts`.
 *
 * The catalog service as a real process on the real PostgreSQL, with the data set of
 * bench/catalog (10,000 categories, 100,000 products; database shop_bench_conditional, created
 * and dropped by the script). For two listings, the heavy one (the largest subtree, as in
 * bench/catalog) and a cheap one (the first page of all products), wrk measures the 200 and the
 * 304 of the same URL (`If-None-Match` with the tag the 200 carried), with the CPU time the
 * catalog process spent per request; next to them, bare Hono's JSON ceiling in the same run.
 * Prints a markdown table and writes bench/results/conditional.json.
 */
import postgres from 'postgres'
import { silentLogger } from '@shop/platform/log'
import { openDatabase } from '@shop/platform/postgres/connect'
import { migrate } from '@shop/platform/postgres/migrate'
import { MIGRATIONS } from '../../catalog/src/main.ts'
import { buildTree, load } from './data.ts'
import { WRK, lua, measureWithCpu, writeResult } from '../lib/measure.ts'
import { POOL_MAX, SECRET, Service, dbUrl, freePort, resetDatabases } from '../lib/shop.ts'
import { TEST_EVENT_KEYS } from '@shop/platform/testing/event-keys'

const DB = 'shop_bench_conditional'
const say = (s: string) => process.stdout.write(`bench/conditional: ${s}\n`)

/** wrk sends `If-None-Match: tag` with every request, or nothing. */
const script = (tag?: string) => (tag ? `wrk.headers["If-None-Match"] = ${lua(tag)}` : '')

async function main() {
  await resetDatabases([DB])
  const db = await openDatabase({ url: dbUrl(DB), dataDir: '', name: 'catalog', poolMax: 4, log: silentLogger })
  const sql = db.sql
  const services: Service[] = []
  try {
    await migrate(sql, MIGRATIONS, silentLogger)
    const t = performance.now()
    const { cats } = buildTree()
    await load(sql, cats)
    await sql`vacuum analyze`
    const [big] = await sql<{ id: number; size: number }[]>`
      select c.category_id as id, c.subtree::int as size from category_product_counts c join categories k
        on k.id = c.category_id
      where k.parent_id is null order by c.subtree desc limit 1`
    say(
      `loaded ${cats.length} categories and their products ` +
        `in ${Math.round((performance.now() - t) / 100) / 10} s; ` +
        `the largest department ${big!.id} holds ${big!.size} products`,
    )

    const catalog = new Service('catalog', ['bun', 'catalog/src/main.ts'], {
      DATABASE_URL: dbUrl(DB),
      PORT: String(freePort()),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      JWT_SECRET: SECRET,
      ...TEST_EVENT_KEYS.env('catalog'),
      DATABASE_POOL_MAX: String(POOL_MAX),
    })
    const hono = new Service('hono', ['bun', 'bench/ceilings/hono.ts'], { PORT: String(freePort()) })
    services.push(catalog, hono)
    await catalog.start()
    await hono.start()

    const listings = [
      {
        key: 'subtree',
        what: `GET /api/v1/products?category_id=${big!.id}&limit=50 (the largest subtree)`,
        path: `/api/v1/products?category_id=${big!.id}&limit=50`,
      },
      {
        key: 'first_page',
        what: 'GET /api/v1/products?limit=50 (first page of all products)',
        path: '/api/v1/products?limit=50',
      },
    ]
    const results: Record<string, unknown> = {}
    const rows: string[][] = []
    for (const l of listings) {
      const url = `${catalog.url}${l.path}`
      const first = await fetch(url)
      const tag = first.headers.get('ETag')
      const bytes = (await first.arrayBuffer()).byteLength
      if (first.status !== 200 || !tag) throw new Error(`${l.path}: ${first.status}, ETag ${tag}`)
      const again = await fetch(url, { headers: { 'If-None-Match': tag } })
      if (again.status !== 304) throw new Error(`${l.path} with its own tag: ${again.status}, not 304`)
      say(
        `${l.what}: 200 of ${bytes} bytes, tag ${tag}; wrk ${WRK.threads} ` +
          `threads, ${WRK.connections} connections, ${WRK.seconds} s each`,
      )
      const ok = await measureWithCpu([catalog.pid], url, script(), WRK.seconds)
      const notModified = await measureWithCpu([catalog.pid], url, script(tag), WRK.seconds)
      // Nothing changed meanwhile: the tag is still current (the 304 figures are 304s).
      if ((await fetch(url, { headers: { 'If-None-Match': tag } })).status !== 304)
        throw new Error('the tag changed during the run')
      results[l.key] = { what: l.what, body_bytes: bytes, etag: tag, ok_200: ok, not_modified_304: notModified }
      rows.push([
        `${l.what}: 200`,
        `${ok.requests_per_second}`,
        `${ok.p50_ms} / ${ok.p99_ms}`,
        `${ok.service_cpu_ms_per_request}`,
        `${ok.non_2xx + ok.socket_errors}`,
      ])
      rows.push([
        `${l.what}: 304 (If-None-Match, no body)`,
        `${notModified.requests_per_second}`,
        `${notModified.p50_ms} / ${notModified.p99_ms}`,
        `${notModified.service_cpu_ms_per_request}`,
        `${notModified.non_2xx + notModified.socket_errors}`,
      ])
    }
    const ceiling = await measureWithCpu([hono.pid], `${hono.url}/json`, '', WRK.seconds)
    rows.push([
      'bare Hono on Bun.serve, GET /json (ceiling)',
      `${ceiling.requests_per_second}`,
      `${ceiling.p50_ms} / ${ceiling.p99_ms}`,
      `${ceiling.service_cpu_ms_per_request}`,
      `${ceiling.non_2xx + ceiling.socket_errors}`,
    ])
    const problems = catalog.problems()
    if (problems.length) throw new Error(`the catalog logged problems:\n${problems.slice(0, 5).join('\n')}`)

    const out = {
      when: new Date().toISOString(),
      wrk: ceiling.settings,
      data: { categories: cats.length, subtree_root: big!.id, subtree_products: big!.size },
      listings: results,
      hono_ceiling: ceiling,
      method:
        'the catalog as a real process (LOG_LEVEL=warn, no broker) on the real PostgreSQL; ' +
        'wrk on the same URL without and with If-None-Match (the tag its 200 carried), 2 s ' +
        'warm-up each, the processes let settle between runs; CPU ms per request ' +
        "is the catalog (or Hono) process's user+system time over the run divided by the requests.",
    }
    say(`written ${writeResult('conditional', out)}`)
    process.stdout.write(
      `\n| scenario | req/s | p50 / p99 (ms) | process CPU ms/request | errors ` +
        `|\n|---|---:|---|---:|---:|\n${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}\n`,
    )
  } finally {
    for (const s of services) await s.stop().catch(() => {})
    await db.close()
    // The data set is rebuilt every run: leave no database behind.
    const admin = postgres(dbUrl('postgres'), { max: 1, onnotice: () => {} })
    await admin`drop database if exists ${admin(DB)} with (force)`.catch(() => {})
    await admin.end()
  }
}

await main()
process.exit(0)
