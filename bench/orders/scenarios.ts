/**
 * bench/orders/scenarios.ts: the write path against the database's own ceiling, in one run.
 *
 *   bun bench/orders/scenarios.ts [--seconds 15] [--connections 16] [--only spread,hot,sold-out,half]
 *
 * The three services as real processes (bench/lib/shop.ts) on the real PostgreSQL and RabbitMQ,
 * databases shop_bench_orders_* and vhost shop_bench_orders (fresh at every start). Scenarios:
 *
 *   spread    wrk POSTs orders of one line (quantity 1) over 200 products for 64 users
 *   hot       the same, every order for one product with stock for all (a flash sale), 64 buyers
 *   sold-out  one product with 1,000 units, 5,000 attempts by 64 buyers: exactly 1,000 confirmed,
 *             4,000 rejected, stock 0 in the catalog (no oversell, nothing lost)
 *   half      orders sent at a fixed rate, half of spread's settled/s (open loop, one POST every
 *             1/rate s whatever the answers): POST→settled at half the maximum rate
 *
 * Each prints placed/s (orders created ÷ load seconds), settled/s (orders created ÷ seconds from
 * the start until none is pending), POST p50/p99 (client-side), POST→settled p50/p99 (server-side:
 * the order's confirmed or rejected history timestamp minus its created_at, both the order
 * service's clock), commits per order per database (pg_stat_database.xact_commit over the
 * scenario, read after the backends' statistics have been flushed), and CPU ms per order per
 * service (/proc/<pid>/stat user + system). The ceiling: pgbench TPC-B (scale 10, 16 clients) on
 * the same server in the same run (database shop_bench_pgbench, dropped at the end).
 * Writes bench/results/order-scenarios.json and prints a markdown table.
 */
import { parseArgs } from 'node:util'
import postgres from 'postgres'
import { cores, cpuTicks, machineLoad, percentiles, settle, wrk, writeResult } from '../lib/measure.ts'
import { type Shop, adminToken, api, dbName, dbUrl, eventually, makeUsers, must, startShop } from '../lib/shop.ts'
import { orderScript } from './run.ts'

// Read only when run as a script (bench/report.ts imports this module for its markdown).
const { values } = parseArgs({
  strict: import.meta.main,
  args: import.meta.main ? process.argv.slice(2) : [],
  options: {
    seconds: { type: 'string', default: process.env.BENCH_WRK_SECONDS ?? '15' },
    connections: { type: 'string', default: '16' },
    only: { type: 'string', default: 'spread,hot,sold-out,half' },
    'pgbench-seconds': { type: 'string', default: '15' },
  },
})
const SECONDS = Number(values.seconds)
const CONNECTIONS = Number(values.connections)
const ONLY = new Set(String(values.only).split(','))
const NAME = 'bench_orders'
const SPREAD_PRODUCTS = 200
const USERS = 64
const SOLD_OUT = { units: 1000, attempts: 5000, concurrency: 16 }
const AMPLE = 100_000_000
// PostgreSQL 15 flushes a backend's statistics at most once a second, and an idle backend's
// after up to 10 s: counters are read once that long has passed with nothing running.
const STATS_FLUSH_MS = 11_000
const DBS = ['order', 'catalog', 'auth'] as const

const say = (s: string) => process.stdout.write(`bench/orders/scenarios: ${s}\n`)
const PG_ADMIN = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** pgbench TPC-B, scale 10, 16 clients, on a database of its own (created, then dropped). */
async function pgbench(seconds: number): Promise<{ tps: number; latency_ms: number }> {
  const db = 'shop_bench_pgbench'
  const url = new URL(PG_ADMIN)
  const conn = ['-h', url.hostname, '-p', url.port || '5432', '-U', url.username || 'postgres']
  const admin = postgres(PG_ADMIN, { max: 1, onnotice: () => {} })
  try {
    await admin`drop database if exists ${admin(db)} with (force)`
    await admin`create database ${admin(db)}`
    const run = async (argv: string[]) => {
      const p = Bun.spawn(['pgbench', ...conn, ...argv, db], { stdout: 'pipe', stderr: 'pipe' })
      const out = await new Response(p.stdout).text()
      const err = await new Response(p.stderr).text()
      if ((await p.exited) !== 0) throw new Error(`pgbench ${argv.join(' ')}: ${err}`)
      return out
    }
    say('pgbench: initialising scale 10')
    await run(['-i', '-s', '10', '-q'])
    await run(['-c', '16', '-j', '2', '-T', '3']) // warm-up
    const out = await run(['-c', '16', '-j', '2', '-T', String(seconds)])
    const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1])
    const latency = Number(/latency average = ([\d.]+) ms/.exec(out)?.[1])
    if (!Number.isFinite(tps)) throw new Error(`no tps in pgbench output:\n${out}`)
    return { tps: Math.round(tps), latency_ms: latency }
  } finally {
    await admin`drop database if exists ${admin(db)} with (force)`.catch(() => {})
    await admin.end()
  }
}

interface Counters {
  readonly commits: Record<string, number>
  readonly cpu: Record<string, number>
}

async function main() {
  const started = new Date().toISOString()
  const load_before = await machineLoad()
  // The ceiling first, on a quiet server (the shop is not running yet).
  const ceiling = await pgbench(Number(values['pgbench-seconds']))
  say(`pgbench TPC-B scale 10, 16 clients: ${ceiling.tps} tps`)

  say(`starting the shop (databases shop_${NAME}_*, vhost shop_${NAME})`)
  const shop: Shop = await startShop({ name: NAME })
  const admin = postgres(PG_ADMIN, { max: 1, onnotice: () => {} })
  const osql = postgres(dbUrl(dbName('order', NAME)), { max: 1, onnotice: () => {} })
  const csql = postgres(dbUrl(dbName('catalog', NAME)), { max: 1, onnotice: () => {} })
  const pids = shop.all.map((s) => s.pid)
  try {
    const token = await adminToken(shop)
    const cat = await must(
      api(shop.catalog.url, 'POST', '/api/v1/category', { token, body: { name: `Bench ${Date.now()}` } }),
      201,
      'category',
    )
    const product = async (i: number, stock: number) =>
      (
        await must(
          api(shop.catalog.url, 'POST', '/api/v1/product', {
            token,
            body: { name: `Bench product ${i}`, price: `${10 + (i % 50)}.90`, stock, category_id: cat.body.id },
          }),
          201,
          'product',
        )
      ).body.id as number
    say(`creating ${SPREAD_PRODUCTS + 2} products`)
    const spread: number[] = []
    for (let i = 0; i < SPREAD_PRODUCTS; i++) spread.push(await product(i, AMPLE))
    const hot = await product(SPREAD_PRODUCTS, AMPLE)
    const soldOut = await product(SPREAD_PRODUCTS + 1, SOLD_OUT.units)
    say(`registering ${USERS} users`)
    const users = await makeUsers(shop, USERS, 'scn')
    const tokens = users.map((u) => u.token)
    await eventually(
      async () =>
        (await osql<{ n: number }[]>`select count(*)::int as n from products where not deleted`)[0]!.n ===
        SPREAD_PRODUCTS + 2,
      'products in the order replica',
    )

    const pending = async () =>
      (await osql<{ n: number }[]>`select count(*)::int as n from orders where status = 'pending'`)[0]!.n
    const drain = () => eventually(async () => (await pending()) === 0, 'no pending order', 600_000)
    const maxId = async () => (await osql<{ n: number }[]>`select coalesce(max(id), 0)::int as n from orders`)[0]!.n
    const counters = async (): Promise<Counters> => {
      const rows = await admin<{ datname: string; n: string }[]>`
        select datname, xact_commit::text as n from pg_stat_database
        where datname in ${admin(DBS.map((d) => dbName(d, NAME)))}`
      const commits = Object.fromEntries(
        DBS.map((d) => [d, Number(rows.find((r) => r.datname === dbName(d, NAME))?.n)]),
      )
      const cpu = Object.fromEntries(shop.all.map((s) => [s.name, cpuTicks(s.pid)]))
      return { commits, cpu }
    }
    const quiet = async () => {
      await settle(pids, 30_000)
      await Bun.sleep(STATS_FLUSH_MS)
    }
    /** Server-side POST→settled of orders after `from`, and how they ended. */
    const outcome = async (from: number) => {
      const rows = await osql<{ status: string; ms: number | null }[]>`
        select o.status, extract(epoch from (h.changed_at - o.created_at)) * 1000 as ms
        from orders o
        left join order_status_history h on h.order_id = o.id and h.from_status = 'pending'
        where o.id > ${from}`
      const by_status: Record<string, number> = {}
      for (const r of rows) by_status[r.status] = (by_status[r.status] ?? 0) + 1
      return {
        created: rows.length,
        by_status,
        settled_ms: percentiles(rows.filter((r) => r.ms !== null).map((r) => Number(r.ms))),
      }
    }

    /** One measured scenario: `load` places orders; then the backlog is drained. */
    const scenario = async (
      name: string,
      load: () => Promise<{ post_ms: { p50: number; p99: number }; extra?: object }>,
    ) => {
      await drain()
      await quiet()
      const from = await maxId()
      const machine = await machineLoad()
      // CPU: from just before the load to the moment nothing is pending (the idle flush wait after is not counted).
      const c0 = await counters()
      const t0 = performance.now()
      const r = await load()
      const loadEnd = performance.now()
      await eventually(async () => (await pending()) === 0, 'no pending order', 600_000)
      const settledAt = performance.now()
      const cpuEnd = Object.fromEntries(shop.all.map((s) => [s.name, cpuTicks(s.pid)]))
      await quiet()
      const c1 = await counters()
      const o = await outcome(from)
      const n = Math.max(1, o.created)
      const commits = Object.fromEntries(
        DBS.map((d) => [d, Math.round(((c1.commits[d]! - c0.commits[d]!) / n) * 100) / 100]),
      )
      const commits_total = Math.round(Object.values(commits).reduce((a, b) => a + b, 0) * 100) / 100
      const cpu_ms = Object.fromEntries(
        shop.all.map((s) => [s.name, Math.round((((cpuEnd[s.name]! - c0.cpu[s.name]!) * 10) / n) * 100) / 100]),
      )
      const result = {
        orders: o.created,
        by_status: o.by_status,
        placed_per_s: Math.round((o.created / ((loadEnd - t0) / 1000)) * 10) / 10,
        settled_per_s: Math.round((o.created / ((settledAt - t0) / 1000)) * 10) / 10,
        backlog_after_load_s: Math.round((settledAt - loadEnd) / 10) / 100,
        post_ms: r.post_ms,
        post_to_settled_ms: o.settled_ms,
        commits_per_order: commits,
        commits_per_order_total: commits_total,
        cpu_ms_per_order: cpu_ms,
        machine_load_before: machine,
        ...(r.extra ?? {}),
      }
      say(
        `${name}: ${result.orders} orders, placed ${result.placed_per_s}/s, settled ${result.settled_per_s}/s, ` +
          `POST p50 ${r.post_ms.p50} p99 ${r.post_ms.p99} ms, ` +
          `settled p50 ${o.settled_ms.p50} p99 ${o.settled_ms.p99} ms, ` +
          `commits/order ${JSON.stringify(commits)} = ${commits_total}, CPU ms/order ${JSON.stringify(cpu_ms)}`,
      )
      return result
    }

    const wrkLoad = (products: number[], seconds: number) => async () => {
      const w = await wrk(`${shop.order.url}/api/v1/order`, {
        script: orderScript(tokens, products, `s${Date.now()}`, 5),
        connections: CONNECTIONS,
        seconds,
      })
      if (w.non_2xx || w.socket_errors) say(`wrk: ${w.non_2xx} non-2xx, ${w.socket_errors} socket errors`)
      return { post_ms: { p50: w.p50_ms, p99: w.p99_ms }, extra: { wrk: w } }
    }

    say(`warm-up: ${Math.min(5, SECONDS)} s of spread`)
    await wrkLoad(spread, Math.min(5, SECONDS))()

    const results: Record<string, unknown> = {}
    if (ONLY.has('spread')) results.spread = await scenario('spread', wrkLoad(spread, SECONDS))
    if (ONLY.has('hot')) results.hot = await scenario('hot', wrkLoad([hot], SECONDS))
    if (ONLY.has('sold-out')) {
      results['sold-out'] = await scenario('sold-out', async () => {
        const post: number[] = []
        let next = 0
        let failed = 0
        await Promise.all(
          Array.from({ length: SOLD_OUT.concurrency }, async () => {
            for (let k = next++; k < SOLD_OUT.attempts; k = next++) {
              const t = performance.now()
              const r = await api(shop.order.url, 'POST', '/api/v1/order', {
                token: tokens[k % tokens.length]!,
                body: { items: [{ product_id: soldOut, quantity: 1 }] },
                headers: { 'Idempotency-Key': `so-${started}-${k}` },
              })
              post.push(performance.now() - t)
              if (r.status !== 201) failed++
            }
          }),
        )
        const [row] = await csql<{ stock: number }[]>`select stock from products where id = ${soldOut}`
        const p = percentiles(post)
        return {
          post_ms: { p50: p.p50, p99: p.p99 },
          extra: { attempts: SOLD_OUT.attempts, failed_posts: failed, stock_left: row?.stock },
        }
      })
      const so = results['sold-out'] as { by_status: Record<string, number>; stock_left?: number }
      const [row] = await csql<{ stock: number }[]>`select stock from products where id = ${soldOut}`
      const ok = so.by_status.confirmed === SOLD_OUT.units && row?.stock === 0
      Object.assign(so, { stock_left: row?.stock, exact: ok })
      say(
        `sold-out: ${so.by_status.confirmed ?? 0} confirmed (want ${SOLD_OUT.units}), ` +
          `stock left ${row?.stock}: ${ok ? 'exact' : 'WRONG'}`,
      )
    }
    if (ONLY.has('half') && results.spread) {
      const rate = Math.max(1, Math.round((results.spread as { settled_per_s: number }).settled_per_s / 2))
      results.half = await scenario(`half (${rate}/s)`, async () => {
        const post: number[] = []
        const total = rate * SECONDS
        const t0 = performance.now()
        const inflight: Promise<unknown>[] = []
        for (let k = 0; k < total; k++) {
          const due = t0 + (k * 1000) / rate
          const wait = due - performance.now()
          if (wait > 1) await Bun.sleep(wait)
          const t = performance.now()
          inflight.push(
            api(shop.order.url, 'POST', '/api/v1/order', {
              token: tokens[k % tokens.length]!,
              body: { items: [{ product_id: spread[(k * 7) % spread.length]!, quantity: 1 }] },
              headers: { 'Idempotency-Key': `half-${started}-${k}` },
            }).then(() => post.push(performance.now() - t)),
          )
        }
        await Promise.all(inflight)
        const p = percentiles(post)
        return { post_ms: { p50: p.p50, p99: p.p99 }, extra: { rate_per_s: rate } }
      })
    }

    const result = {
      when: started,
      machine: { cores: cores() },
      load_before,
      connections: CONNECTIONS,
      seconds: SECONDS,
      ceiling,
      scenarios: results,
    }
    writeResult('order-scenarios', result)
    console.log(scenariosMarkdown(result))
  } finally {
    await Promise.all([osql.end(), csql.end(), admin.end()])
    await shop.stop()
  }
}

type Row = {
  orders: number
  by_status: Record<string, number>
  placed_per_s: number
  settled_per_s: number
  post_ms: { p50: number; p99: number }
  post_to_settled_ms: { p50: number; p99: number }
  commits_per_order: Record<string, number>
  commits_per_order_total: number
  cpu_ms_per_order: Record<string, number>
  rate_per_s?: number
}

const HEAD =
  '| scenario | orders | placed/s | settled/s | settled ÷ pgbench | POST p50 / p99 ms | ' +
  'POST→settled p50 / p99 ms (server) | commits per order: order + catalog + auth | ' +
  'CPU ms per order: order / catalog / auth |\n|---|---|---:|---:|---:|---|---|---|---|'

/** The issue's figure for the flash sale before this work: 149 orders settled per second. */
const HOT_BEFORE = 149

/**
 * REPORT.md's section: the runs of bench/baseline/order-scenarios.json (`after`, and `before`: the
 * code before this work, BENCH_SERVICES_ROOT=bench/.before, minutes apart) and the targets.
 */
export function ordersSection(x: any): string {
  const a = x.after
  const sp = a.scenarios.spread
  const hot = a.scenarios.hot
  // Scenarios this run lacks are taken from `earlier` (another run of this work, named by x.earlier_label).
  const from = (k: string) => a.scenarios[k] ?? x.earlier?.scenarios[k]
  const half = from('half')
  const so = from('sold-out')
  const ofEarlier = (k: string) => (!a.scenarios[k] && x.earlier?.scenarios[k] ? ` (${x.earlier_label})` : '')
  const pct = (n: number) => `${Math.round(n * 1000) / 10}%`
  const target = (ok: boolean) => (ok ? '**met**' : '**not met**')
  const worst = Math.max(sp.commits_per_order_total, hot.commits_per_order_total)
  const rows: [string, string, string][] = [
    [
      'spread settles ≥ 35% of pgbench TPC-B tps',
      `${sp.settled_per_s}/s of ${a.ceiling.tps} tps = ${pct(sp.settled_per_s / a.ceiling.tps)}`,
      target(sp.settled_per_s >= 0.35 * a.ceiling.tps),
    ],
    [
      `hot settles ≥ 3 × ${HOT_BEFORE}/s = ${3 * HOT_BEFORE}/s`,
      `${hot.settled_per_s}/s (${Math.round((hot.settled_per_s / HOT_BEFORE) * 100) / 100} ×)`,
      target(hot.settled_per_s >= 3 * HOT_BEFORE),
    ],
    [
      '≤ 2.0 commits per order over the three databases (spread, hot)',
      `${sp.commits_per_order_total}, ${hot.commits_per_order_total}`,
      target(worst <= 2),
    ],
    [
      'POST→settled p99 ≤ 50 ms (server) at half the maximum rate',
      half ? `${half.post_to_settled_ms.p99} ms at ${half.rate_per_s}/s${ofEarlier('half')}` : 'n/a',
      half ? target(half.post_to_settled_ms.p99 <= 50) : '',
    ],
    [
      `sold-out: exactly ${SOLD_OUT.units} of ${SOLD_OUT.attempts} confirmed, stock 0`,
      so ? `${so.by_status.confirmed ?? 0} confirmed, stock ${so.stock_left}${ofEarlier('sold-out')}` : 'n/a',
      so ? target(so.exact) : '',
    ],
  ]
  return `## Orders against the database's ceiling

Measured by \`bun bench/orders/scenarios.ts\` (part of \`make bench\`). ${x.note ?? ''}

| target | measured | |
|---|---|---|
${rows.map(([t, m, ok]) => `| ${t} | ${m} | ${ok} |`).join('\n')}

After (this code):
${scenariosMarkdown(a)}${
  x.earlier
    ? `
Earlier (${x.earlier_label}):
${scenariosMarkdown(x.earlier)}`
    : ''
}${
  x.before
    ? `
Before (the code before this work, same script, BENCH_SERVICES_ROOT=bench/.before):
${scenariosMarkdown(x.before)}`
    : ''
}`
}

/** The markdown table of a result. */
export function scenariosMarkdown(x: any): string {
  const rows = Object.entries(x.scenarios as Record<string, Row>)
  const line = ([name, r]: [string, Row]) =>
    `| ${name === 'half' ? `half rate (${r.rate_per_s}/s, open loop)` : name} | ${r.orders} ` +
    `(${Object.entries(r.by_status)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}) | ${r.placed_per_s} | ${r.settled_per_s} | ` +
    `${Math.round((r.settled_per_s / x.ceiling.tps) * 1000) / 10}% | ${r.post_ms.p50} / ${r.post_ms.p99} | ` +
    `${r.post_to_settled_ms.p50} / ${r.post_to_settled_ms.p99} | ` +
    `${r.commits_per_order.order} + ${r.commits_per_order.catalog} + ${r.commits_per_order.auth} = ` +
    `${r.commits_per_order_total} | ` +
    `${r.cpu_ms_per_order.order} / ${r.cpu_ms_per_order.catalog} / ${r.cpu_ms_per_order.auth} |`
  return `
Run of ${x.when} (load / cpu busy before: ${x.load_before.loadavg_1m} / ${x.load_before.cpu_busy_pct}%).

pgbench TPC-B (scale 10, 16 clients, same server, same run): **${x.ceiling.tps} tps**. Load: wrk,
${x.connections} connections, ${x.seconds} s per scenario (sold-out: 5,000 POSTs by 16 clients; half rate: an
open loop at half of spread's settled/s). ${x.machine.cores} cores shared with PostgreSQL, RabbitMQ, the
load generator and other work.

${HEAD}
${rows.map(line).join('\n')}
`
}

if (import.meta.main) {
  await main()
  process.exit(0)
}
