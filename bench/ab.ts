/**
 * bench/ab: before/after of this branch's optimisations, measured in pairs on the same machine at
 * the same time, because this 2-core machine is shared and its load changes from minute to minute.
 *
 *   bun bench/ab.ts [--rounds 2] [--seconds 10]
 *
 * Needs bench/.before: the services' code before the optimisations, with its own node_modules
 * (make it with: mkdir -p bench/.before && git archive <commit> auth catalog order kernel platform
 * package.json | tar -x -C bench/.before && cp -a node_modules bench/.before/). Two shops run
 * side by side: "before" (databases shop_bench_before_*, vhost shop_bench_before) and "after"
 * (this checkout; shop_bench_*, shop_bench). Both get the same data (bench/catalog's data set,
 * 8 users, 20 products for orders). Then every scenario runs on one shop and right after on the
 * other, the order alternating between rounds, with the same wrk settings; and the order latency
 * (one placer) likewise. Besides req/s and latency, the CPU time the three service processes
 * spent per request is given: it depends much less on the machine's other load than req/s does.
 * Writes bench/results/ab.json (copied to bench/baseline/ab.json for the report).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import postgres from 'postgres'
import { buildTree, load } from './catalog/data.ts'
import { bearerScript, loginScript, randomPath } from './http/run.ts'
import { WRK, cores, measureWithCpu, median, settle, writeResult } from './lib/measure.ts'
import { ROOT, type Shop, api, dbName, dbUrl, makeOrderableProducts, makeUsers, must, startShop } from './lib/shop.ts'
import { latencyRun, orderScript } from './orders/run.ts'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '10' },
    orders: { type: 'string', default: '300' },
  },
})
const ROUNDS = Number(values.rounds)
const SECONDS = Number(values.seconds)
const ORDERS = Number(values.orders)
const BEFORE = join(ROOT, 'bench', '.before')
const say = (s: string) => process.stdout.write(`bench/ab: ${s}\n`)

interface Side {
  readonly label: 'before' | 'after'
  readonly name: string
  readonly shop: Shop
  readonly users: { username: string; password: string; token: string }[]
  readonly products: number[]
  readonly subtreeRoot: number
  readonly catalogProducts: number
}

async function prepare(label: 'before' | 'after', name: string, root: string): Promise<Side> {
  const shop = await startShop({ name, root })
  const sql = postgres(dbUrl(dbName('catalog', name)), { max: 2, onnotice: () => {} })
  const { cats } = buildTree()
  await load(sql as never, cats)
  const big = (
    await sql<{ id: number }[]>`
    with recursive sub as (
      select id as root, id from categories where parent_id is null
      union all
      select sub.root, c.id from categories c join sub on c.parent_id = sub.id
    )
    select root::int as id from sub group by root order by count(*) desc limit 1`
  )[0]!.id
  const catalogProducts = (await sql<{ n: number }[]>`select count(*)::int as n from products`)[0]!.n
  await sql.end()
  const products = await makeOrderableProducts(shop, { shopName: name, n: 20, label: 'AB product', price: '12.50' })
  const users = await makeUsers(shop, 8, `ab${label}`)
  say(`${label}: ready (${root === ROOT ? 'this checkout' : root})`)
  return { label, name, shop, users, products, subtreeRoot: big, catalogProducts }
}

type Scenario = { key: string; what: string; url: (s: Side) => string; script: (s: Side) => string }

const SCENARIOS: Scenario[] = [
  {
    key: 'product_by_id',
    what: 'GET /api/v1/product/{id}',
    url: (s) => s.shop.catalog.url,
    script: (s) => randomPath('/api/v1/product/', s.catalogProducts),
  },
  {
    key: 'products_subtree',
    what: 'GET /api/v1/products?category_id=<largest subtree>&limit=50',
    url: (s) => `${s.shop.catalog.url}/api/v1/products?category_id=${s.subtreeRoot}&limit=50`,
    script: () => '',
  },
  {
    key: 'login',
    what: 'POST /api/v1/auth/login',
    url: (s) => s.shop.auth.url,
    script: (s) => loginScript(s.users),
  },
  {
    key: 'users_me',
    what: 'GET /api/v1/users/me',
    url: (s) => s.shop.auth.url,
    script: (s) => bearerScript(s.users, () => '/api/v1/users/me'),
  },
  {
    key: 'order_by_id',
    what: 'GET /api/v1/order/{id} (the token check reads the user replica)',
    url: (s) => s.shop.order.url,
    script: (s) => bearerScript(s.users, (i) => `/api/v1/order/${i + 1}`),
  },
  {
    key: 'order_post',
    what: 'POST /api/v1/order',
    url: (s) => `${s.shop.order.url}/api/v1/order`,
    script: (s) =>
      orderScript(
        s.users.map((u) => u.token),
        s.products,
        `ab-${s.label}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
      ),
  },
]

const measure = (side: Side, sc: Scenario) =>
  measureWithCpu(
    side.shop.all.map((p) => p.pid),
    sc.url(side),
    sc.script(side),
    SECONDS,
  )

/** One side's rounds of a scenario: the median of each figure, and the non-2xx answers of all of them. */
const summarize = (runs: readonly Awaited<ReturnType<typeof measure>>[]) => ({
  rps: median(runs.map((x) => x.requests_per_second)),
  p50_ms: median(runs.map((x) => x.p50_ms)),
  p99_ms: median(runs.map((x) => x.p99_ms)),
  cpu_ms: median(runs.map((x) => x.service_cpu_ms_per_request)),
  non_2xx: runs.reduce((n, x) => n + x.non_2xx, 0),
})

async function main() {
  if (!existsSync(join(BEFORE, 'catalog', 'src', 'main.ts')) || !existsSync(join(BEFORE, 'node_modules'))) {
    throw new Error('bench/.before is missing: see the comment at the top of bench/ab.ts')
  }
  const started = new Date().toISOString()
  const before = await prepare('before', 'bench_before', BEFORE)
  const after = await prepare('after', 'bench', ROOT)
  // The orders made by order_post must exist for order_by_id (ids 1..8): place one per user first.
  for (const side of [before, after]) {
    for (const u of side.users)
      await must(
        api(side.shop.order.url, 'POST', '/api/v1/order', {
          token: u.token,
          body: { items: [{ product_id: side.products[0], quantity: 1 }] },
        }),
        201,
        'order',
      )
  }
  const sides = [before, after]
  try {
    const results: Record<string, { what: string; before: any[]; after: any[] }> = {}
    for (const sc of SCENARIOS) results[sc.key] = { what: sc.what, before: [], after: [] }
    for (let round = 0; round < ROUNDS; round++) {
      for (const sc of SCENARIOS) {
        const order = round % 2 === 0 ? sides : [...sides].reverse()
        for (const side of order) {
          const r = await measure(side, sc)
          results[sc.key]![side.label].push(r)
          say(
            `round ${round + 1} ${sc.key} ${side.label}: ${r.requests_per_second} req/s, ` +
              `p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, non-2xx ${r.non_2xx}, ${r.service_cpu_ms_per_request} ` +
              `ms service CPU/req (load ${r.machine_load_before.loadavg_1m})`,
          )
        }
      }
    }
    const latency: Record<string, any[]> = { before: [], after: [] }
    for (let round = 0; round < ROUNDS; round++) {
      for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
        await settle(side.shop.all.map((p) => p.pid))
        const r = await latencyRun(side.shop, side.users, side.products, ORDERS, 1, side.name)
        latency[side.label]!.push(r)
        say(
          `round ${round + 1} latency ${side.label}: server p50 ${r.server_created_to_confirmed_ms.p50} ms ` +
            `p99 ${r.server_created_to_confirmed_ms.p99}; client p50 ${r.client_post_to_confirmed_ms.p50} ms`,
        )
      }
    }
    const summary = Object.fromEntries(
      Object.entries(results).map(([k, v]) => [
        k,
        {
          what: v.what,
          before: summarize(v.before),
          after: summarize(v.after),
        },
      ]),
    )
    const lat = (side: 'before' | 'after') => ({
      server_p50_ms: median(latency[side]!.map((x) => x.server_created_to_confirmed_ms.p50)),
      server_p99_ms: median(latency[side]!.map((x) => x.server_created_to_confirmed_ms.p99)),
      client_p50_ms: median(latency[side]!.map((x) => x.client_post_to_confirmed_ms.p50)),
      client_p99_ms: median(latency[side]!.map((x) => x.client_post_to_confirmed_ms.p99)),
    })
    const result = {
      when: started,
      machine: { cores: cores() },
      method:
        `two shops side by side (before: bench/.before, after: this checkout); ` +
        `each scenario ${ROUNDS} rounds of wrk ${Math.min(WRK.threads, WRK.connections)} ` +
        `threads, ${WRK.connections} connections, ${SECONDS} s (after 2 s warm-up) on one shop then the other, ` +
        `alternating which goes first; medians over rounds. ` +
        `Order latency: ${ORDERS} orders, one placer, ${ROUNDS} rounds.`,
      summary,
      latency: { before: lat('before'), after: lat('after') },
      rounds: { results, latency },
    }
    writeResult('ab', result)
    console.log(
      `\n| scenario | before req/s | after req/s | change | before → after p50 / p99 (ms) ` +
        `| service CPU ms/req before → after |\n|---|---:|---:|---:|---|---|`,
    )
    for (const v of Object.values(summary)) {
      console.log(
        `| ${v.what} | ${v.before.rps} | ${v.after.rps} ` +
          `| ${Math.round((v.after.rps / v.before.rps - 1) * 100)}% | ${v.before.p50_ms} ` +
          `/ ${v.before.p99_ms} → ${v.after.p50_ms} / ${v.after.p99_ms} | ${v.before.cpu_ms} → ${v.after.cpu_ms} |`,
      )
    }
    console.log(
      `| POST → confirmed (1 placer), server p50 / p99 | ${result.latency.before.server_p50_ms} ` +
        `/ ${result.latency.before.server_p99_ms} | ${result.latency.after.server_p50_ms} ` +
        `/ ${result.latency.after.server_p99_ms} | | client ` +
        `p50 ${result.latency.before.client_p50_ms} → ${result.latency.after.client_p50_ms} | |`,
    )
  } finally {
    await Promise.all(sides.map((s) => s.shop.stop()))
  }
}

await main()
process.exit(0)
