/**
 * bench/orders: placing orders, with the three services as real processes on the real
 * PostgreSQL and RabbitMQ (bench/lib/shop.ts).
 *
 *   bun bench/orders/run.ts [--orders 600] [--placers 8]
 *
 * Setup: an admin creates a category and 20 products with ample stock (through the catalog, so
 * they reach the order service's replica as product.created events); 16 users register and log in.
 *
 * (a) Throughput: wrk POSTs /api/v1/order for BENCH_WRK_SECONDS, a Lua script rotating the users'
 *     tokens and the products, every request with an Idempotency-Key of its own (never reused:
 *     a reused key would replay the first order instead of creating one). Then the saga's backlog
 *     is drained: how long until every order wrk created is confirmed, i.e. the rate at which the
 *     whole chain (order → outbox → RabbitMQ → catalog reservation → outbox → RabbitMQ → order)
 *     keeps up.
 * (b) Latency from POST /api/v1/order to `confirmed`, two ways, over --orders orders:
 *     - client-side: the clock starts when the POST is sent; after its 201 the placer polls
 *       GET /api/v1/order/{id} every POLL_MS until the status is no longer pending (so the figure
 *       includes up to one poll interval plus one GET);
 *     - server-side, for the same orders: the confirmation's history timestamp minus the order's
 *       created_at, both taken by the order service's clock (ms resolution), no polling involved.
 *     Run once with one placer (unloaded) and once with --placers concurrent placers.
 * Writes bench/results/orders.json and prints a markdown table.
 */
import { parseArgs } from 'node:util'
import postgres from 'postgres'
import { MemorySampler, WRK, cores, lua, machineLoad, percentiles, wrk, writeResult } from '../lib/measure.ts'
import { type Shop, adminToken, api, dbName, dbUrl, eventually, makeUsers, must, startShop } from '../lib/shop.ts'

// Read only when run as a script (bench/ab imports this module with arguments of its own).
const { values } = parseArgs({
  options: { orders: { type: 'string', default: '600' }, placers: { type: 'string', default: '8' } },
  strict: import.meta.main,
  args: import.meta.main ? process.argv.slice(2) : [],
})
const ORDERS = Number(values.orders)
const PLACERS = Number(values.placers)
const PRODUCTS = 20
const USERS = 16
const STOCK = 100_000_000
const POLL_MS = 2

const say = (s: string) => process.stdout.write(`bench/orders: ${s}\n`)

/** wrk's script placing one-line orders: tokens and products rotated per thread (the token by `tokenStride`). */
export function orderScript(tokens: string[], products: number[], run: string, tokenStride = 1): string {
  return `
local n = 0
function setup(thread) n = n + 1; thread:set("tid", n) end
local tokens = { ${tokens.map(lua).join(', ')} }
local products = { ${products.join(', ')} }
local i = 0
request = function()
  i = i + 1
  local t = tokens[((i * ${tokenStride} + tid) % #tokens) + 1]
  local p = products[((i * 7 + tid) % #products) + 1]
  local body = '{"items":[{"product_id":' .. p .. ',"quantity":1}],"shipping_address":"1 Bench Street"}'
  return wrk.format("POST", "/api/v1/order", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. t,
    ["Idempotency-Key"] = ${lua(run)} .. "-" .. tid .. "-" .. i,
  }, body)
end
`
}

export async function latencyRun(
  shop: Shop,
  users: { token: string }[],
  products: number[],
  total: number,
  placers: number,
  shopName = 'bench',
) {
  const client: number[] = []
  const post: number[] = []
  const ids: number[] = []
  let next = 0
  let notConfirmed = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: placers }, async (_, w) => {
      for (let k = next++; k < total; k = next++) {
        const u = users[(k + w) % users.length]!
        const body = { items: [{ product_id: products[k % products.length]!, quantity: 1 }] }
        const t = performance.now()
        const r = await must(
          api(shop.order.url, 'POST', '/api/v1/order', {
            token: u.token,
            body,
            headers: { 'Idempotency-Key': `lat-${Date.now()}-${k}` },
          }),
          201,
          'place order',
        )
        post.push(performance.now() - t)
        const id = r.body.id as number
        ids.push(id)
        for (;;) {
          const g = await api(shop.order.url, 'GET', `/api/v1/order/${id}`, { token: u.token })
          if (g.status !== 200) throw new Error(`GET order ${id}: ${g.status}`)
          if (g.body.status !== 'pending') {
            if (g.body.status !== 'confirmed') notConfirmed++
            break
          }
          await Bun.sleep(POLL_MS)
        }
        client.push(performance.now() - t)
      }
    }),
  )
  const seconds = (performance.now() - t0) / 1000
  // Server-side: confirmation timestamp minus creation timestamp, same clock (the order service's).
  const sql = postgres(dbUrl(dbName('order', shopName)), { max: 1, onnotice: () => {} })
  const rows = await sql<{ ms: number }[]>`
    select extract(epoch from (h.changed_at - o.created_at)) * 1000 as ms
    from orders o join order_status_history h on h.order_id = o.id and h.to_status = 'confirmed'
    where o.id in ${sql(ids)}`
  await sql.end()
  return {
    orders: total,
    placers,
    seconds: Math.round(seconds * 100) / 100,
    not_confirmed: notConfirmed,
    post_ms: percentiles(post),
    client_post_to_confirmed_ms: percentiles(client),
    server_created_to_confirmed_ms: percentiles(rows.map((r) => Number(r.ms))),
  }
}

async function runOrders() {
  const started = new Date().toISOString()
  say('starting the shop (fresh databases shop_bench_*, vhost shop_bench)')
  const shop = await startShop()
  try {
    const admin = await adminToken(shop)
    const cat = await must(
      api(shop.catalog.url, 'POST', '/api/v1/category', { token: admin, body: { name: `Bench ${Date.now()}` } }),
      201,
      'category',
    )
    const products: number[] = []
    for (let i = 0; i < PRODUCTS; i++) {
      const p = await must(
        api(shop.catalog.url, 'POST', '/api/v1/product', {
          token: admin,
          body: { name: `Bench product ${i}`, price: `${10 + i}.90`, stock: STOCK, category_id: cat.body.id },
        }),
        201,
        'product',
      )
      products.push(p.body.id)
    }
    say(`registering ${USERS} users (bcrypt cost 10)`)
    const users = await makeUsers(shop, USERS)
    const osql = postgres(dbUrl(dbName('order')), { max: 1, onnotice: () => {} })
    await eventually(
      async () =>
        (await osql<{ n: number }[]>`select count(*)::int as n from products where not deleted`)[0]!.n === PRODUCTS,
      'products in the order replica',
    )

    // (a) Throughput with wrk.
    const script = (run: string) =>
      orderScript(
        users.map((u) => u.token),
        products,
        run,
      )
    say(`wrk warm-up ${WRK.warmup} s`)
    await wrk(`${shop.order.url}/api/v1/order`, { script: script(`warm-${Date.now()}`), seconds: WRK.warmup })
    const drain = async () =>
      eventually(
        async () =>
          (await osql<{ n: number }[]>`select count(*)::int as n from orders where status = 'pending'`)[0]!.n === 0,
        'no pending order',
        300_000,
      )
    await drain()
    const before = (await osql<{ before: number }[]>`select coalesce(max(id), 0)::int as before from orders`)[0]!.before
    const machine_load_before = await machineLoad()
    const mem = new MemorySampler(Object.fromEntries(shop.all.map((s) => [s.name, s.pid]))).start()
    const lines = shop.all.map((s) => s.output().length)
    const t0 = performance.now()
    const loaded = await wrk(`${shop.order.url}/api/v1/order`, { script: script(`run-${Date.now()}`) })
    const wrkDone = performance.now()
    await drain()
    const drained = performance.now()
    const peak_rss_mb = mem.stop()
    const statuses = await osql<
      { status: string; n: number }[]
    >`select status, count(*)::int as n from orders where id > ${before} group by status`
    const created = statuses.reduce((n, s) => n + s.n, 0)
    const confirmed = statuses.find((s) => s.status === 'confirmed')?.n ?? 0
    const service_warnings = shop.all.reduce((n, s, i) => n + s.problems(lines[i]).length, 0)
    const throughput = {
      wrk: loaded,
      orders_created: created,
      by_status: Object.fromEntries(statuses.map((s) => [s.status, s.n])),
      backlog_after_wrk_seconds: Math.round((drained - wrkDone) / 10) / 100,
      confirmed_per_second_end_to_end: Math.round((confirmed / ((drained - t0) / 1000)) * 10) / 10,
      peak_rss_mb,
      machine_load_before,
      service_warnings,
    }
    say(
      `wrk: ${loaded.requests_per_second} orders/s created, p50 ${loaded.p50_ms} ms, ` +
        `p99 ${loaded.p99_ms} ms, non-2xx ${loaded.non_2xx}; all ${confirmed}/${created} ` +
        `confirmed ${throughput.backlog_after_wrk_seconds} s after wrk ended`,
    )

    // (b) Latency to confirmed.
    const latLoad1 = await machineLoad()
    const mem1 = new MemorySampler(Object.fromEntries(shop.all.map((s) => [s.name, s.pid]))).start()
    const single = await latencyRun(shop, users, products, ORDERS, 1)
    const singleRss = mem1.stop()
    say(
      `1 placer: client p50 ${single.client_post_to_confirmed_ms.p50} ms, ` +
        `p99 ${single.client_post_to_confirmed_ms.p99} ms; server p50 ${single.server_created_to_confirmed_ms.p50} ms`,
    )
    const latLoadN = await machineLoad()
    const memN = new MemorySampler(Object.fromEntries(shop.all.map((s) => [s.name, s.pid]))).start()
    const concurrent = await latencyRun(shop, users, products, ORDERS, PLACERS)
    const concurrentRss = memN.stop()
    say(
      `${PLACERS} placers: client p50 ${concurrent.client_post_to_confirmed_ms.p50} ms, ` +
        `p99 ${concurrent.client_post_to_confirmed_ms.p99} ms; ` +
        `server p50 ${concurrent.server_created_to_confirmed_ms.p50} ms`,
    )
    await osql.end()

    const result = {
      when: started,
      machine: { cores: cores() },
      setup: { products: PRODUCTS, stock_each: STOCK, users: USERS, services: { LOG_LEVEL: 'warn', BCRYPT_COST: 10 } },
      throughput,
      latency: {
        method:
          `POST /api/v1/order then GET /api/v1/order/{id} every ${POLL_MS} ms until not ` +
          `pending (client-side: from sending the POST to seeing confirmed, includes ` +
          `up to one poll interval); server-side: the order's confirmed history ` +
          `timestamp minus its created_at (the order service's clock, ms resolution). ` +
          `Each order has one line of quantity 1 and its own Idempotency-Key; products and users rotate.`,
        one_placer: { ...single, peak_rss_mb: singleRss, machine_load_before: latLoad1 },
        concurrent_placers: { ...concurrent, peak_rss_mb: concurrentRss, machine_load_before: latLoadN },
      },
    }
    writeResult('orders', result)
    const c = concurrent.client_post_to_confirmed_ms
    const s = concurrent.server_created_to_confirmed_ms
    console.log(
      `
## bench/orders (three real processes, real PostgreSQL and RabbitMQ; ${cores()} cores shared with wrk)

| measure | value |
|---|---|
| POST /api/v1/order under wrk (${loaded.settings}) | ${loaded.requests_per_second} orders/s, ` +
        `p50 ${loaded.p50_ms} ms, p99 ${loaded.p99_ms} ms, ` +
        `non-2xx ${loaded.non_2xx}, socket errors ${loaded.socket_errors} |
| orders created in the wrk run / confirmed | ${created} / ${confirmed} ` +
        `(backlog confirmed ${throughput.backlog_after_wrk_seconds} s after wrk ` +
        `ended; ${throughput.confirmed_per_second_end_to_end} confirmed/s end to end) |
| peak RSS during the wrk run (MiB) | ${Object.entries(peak_rss_mb)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')} |
| POST → confirmed, 1 placer, ${ORDERS} orders, client-side | ` +
        `p50 ${single.client_post_to_confirmed_ms.p50} ms, p99 ${single.client_post_to_confirmed_ms.p99} ms |
| the same, server-side (created_at → confirmed) | p50 ${single.server_created_to_confirmed_ms.p50} ` +
        `ms, p99 ${single.server_created_to_confirmed_ms.p99} ms |
| POST → confirmed, ${PLACERS} concurrent placers, ${ORDERS} orders, client-side ` +
        `| p50 ${c.p50} ms, p99 ${c.p99} ms (${Math.round(ORDERS / concurrent.seconds)} orders/s placed) |
| the same, server-side | p50 ${s.p50} ms, p99 ${s.p99} ms |

Method: ${result.latency.method}
`,
    )
    return result
  } finally {
    await shop.stop()
  }
}

if (import.meta.main) {
  await runOrders()
  process.exit(0)
}
