/**
 * The listing at scale (issue 11), a script, not a test: `bun bench/catalog/listing.ts`.
 *
 * 1. Loads the data set with bench/catalog/load-catalog.ts (10,000 categories, 20 levels,
 *    100,000 products) into shop_bench_listing (BENCH_LISTING_DATABASE_URL), unless
 *    BENCH_LISTING_REUSE=1 and it is already there.
 * 2. Starts catalog as a real process on it (LOG_LEVEL=warn, DATABASE_POOL_MAX=10) and the bare
 *    ceilings of bench/ceilings/listing.ts (Bun.serve + postgres.js: (a) recursive CTE + each
 *    category's top 50, (b) the sort index walked, filtered by the ancestor path).
 * 3. With wrk (bench/lib), side by side in the same run, page 1 (limit 50) of subtrees of about
 *    10, 330, 4,500, 19,000 and 45,000 products: the service, (a) and (b), each response checked
 *    against the others first (same products, same X-Total-Count); then sort=price and
 *    sort=-created_at on the largest subtree.
 * 4. In-process (the catalog's use cases on the postgres adapter): product insert and update
 *    latency, and the move of a 1,000-category subtree holding 10,000 products (there and back),
 *    with the GIN index's fastupdate as migrated and the other way round.
 * Prints a table and writes bench/results/listing.json; bench/report.ts puts it in REPORT.md.
 *   BENCH_LISTING_SECONDS (default 5) per wrk run, after 2 s of warm-up.
 */
import { join } from 'node:path'
import { silentLogger } from '@shop/platform/log'
import { openDatabase, type Sql } from '@shop/platform/postgres/connect'
import { systemClock } from '@shop/kernel/app'
import { catalogApplication } from '../../catalog/src/app/application.ts'
import { postgresCatalogStore } from '../../catalog/src/adapters/postgres/store.ts'
import { LISTING_DB, type Subtree, loadCatalog, pickSubtrees } from './load-catalog.ts'
import { LISTING_SHAPE, MOVE_SIZE, buildTree } from './data.ts'
import { cpuTicks, machineLoad, median, percentiles, settle, wrk, writeResult } from '../lib/measure.ts'
import { ROOT, freePort } from '../lib/shop.ts'
import { TEST_EVENT_KEYS } from '@shop/platform/testing/event-keys'

const SECONDS = Number(process.env.BENCH_LISTING_SECONDS ?? 3)
const ROUNDS = Number(process.env.BENCH_LISTING_ROUNDS ?? 3)
const CONNECTIONS = Number(process.env.BENCH_WRK_CONNECTIONS ?? 32)
const say = (s: string) => process.stdout.write(`listing: ${s}\n`)

async function waitReady(url: string, ms = 30_000) {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if ((await fetch(url).catch(() => undefined))?.ok) return
    await Bun.sleep(200)
  }
  throw new Error(`${url} did not become ready`)
}

/** A page: the products' ids and X-Total-Count, to check that the service and the ceilings agree. */
async function probe(url: string): Promise<{ ids: number[]; total: string }> {
  const r = await fetch(url)
  if (!r.ok) throw new Error(`${url}: ${r.status} ${await r.text()}`)
  return { ids: ((await r.json()) as { id: number }[]).map((p) => p.id), total: r.headers.get('X-Total-Count') ?? '' }
}

export interface Measured {
  /** Median of the rounds. */
  readonly requests_per_second: number
  readonly p50_ms: number
  readonly p99_ms: number
  /**
   * CPU time the answering process spent per request (ms, median of the rounds): less sensitive to others' load than
   * req/s.
   */
  readonly server_cpu_ms_per_request: number
  readonly rounds: { requests_per_second: number; p50_ms: number; p99_ms: number; server_cpu_ms_per_request: number }[]
}

/**
 * Endpoints compared with each other are measured in alternating rounds (ROUNDS rounds, each
 * endpoint once per round, the order rotated), after a warm-up of each (JIT, prepared statements,
 * pool connections); the processes and the machine (the database's backends) are let settle
 * before each run. The median of the rounds
 * counts: on a shared 2-core machine a single run moves by ±20% with others' load.
 */
async function compare(
  urls: Record<string, { url: string; pid: number }>,
  pids: number[],
): Promise<Record<string, Measured>> {
  const names = Object.keys(urls)
  for (const n of names) await wrk(urls[n]!.url, { seconds: 1, connections: CONNECTIONS })
  const runs: Record<string, Measured['rounds'][number][]> = Object.fromEntries(names.map((n) => [n, []]))
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < names.length; k++) {
      const n = names[(k + round) % names.length]!
      await settle(pids, 30_000, { machineBelowPct: 15 })
      const t0 = cpuTicks(urls[n]!.pid)
      const r = await wrk(urls[n]!.url, { seconds: SECONDS, connections: CONNECTIONS })
      const cpu = cpuTicks(urls[n]!.pid) - t0
      if (r.non_2xx || r.socket_errors)
        throw new Error(`${urls[n]!.url}: ${r.non_2xx} non-2xx, ${r.socket_errors} socket errors`)
      runs[n]!.push({
        requests_per_second: r.requests_per_second,
        p50_ms: r.p50_ms,
        p99_ms: r.p99_ms,
        server_cpu_ms_per_request: Math.round(((cpu * 10) / Math.max(1, r.requests)) * 1000) / 1000,
      })
    }
  }
  return Object.fromEntries(
    names.map((n) => {
      const rs = runs[n]!
      const m = (k: keyof Measured['rounds'][number]) => median(rs.map((r) => r[k]))
      return [
        n,
        {
          requests_per_second: m('requests_per_second'),
          p50_ms: m('p50_ms'),
          p99_ms: m('p99_ms'),
          server_cpu_ms_per_request: m('server_cpu_ms_per_request'),
          rounds: rs,
        },
      ]
    }),
  )
}

interface WriteSamples {
  insert: number[]
  update: number[]
  move: number[]
}

/**
 * One round of writes through the use cases (in-process, on the postgres adapter): product
 * inserts and price updates in categories all over the tree (deep ones have long paths), and the
 * 1,000-category subtree moved there and back. What it inserted is deleted afterwards.
 */
async function writeRound(sql: Sql, into: WriteSamples, n: number) {
  const core = catalogApplication({ store: postgresCatalogStore(sql), clock: systemClock })
  const { cats, moveRoot, moveTarget } = buildTree()
  const spread = (i: number) => cats[(i * 7_919) % cats.length]!.id
  const time = async (to: number[], f: () => Promise<unknown>) => {
    const t = performance.now()
    await f()
    to.push(performance.now() - t)
  }
  const created: number[] = []
  for (let i = 0; i < n; i++) {
    await time(into.insert, async () => {
      const r = await core.commands.createProduct({
        name: `bench write ${i} ${Math.random()}`,
        price: '12.50' as never,
        stock: 3,
        categoryId: spread(i),
      })
      if (!r.ok) throw new Error(`insert: ${r.error.type}`)
      created.push(r.value.id)
    })
  }
  for (let i = 0; i < n; i++) {
    await time(into.update, async () => {
      const r = await core.commands.updateProduct(created[(i * 13) % created.length]!, {
        price: `${10 + (i % 90)}.25` as never,
      })
      if (!r.ok) throw new Error(`update: ${r.error.type}`)
    })
  }
  const [from] = await sql<{ parent_id: string }[]>`select parent_id from categories where id = ${moveRoot}`
  for (const to of [moveTarget, Number(from!.parent_id)]) {
    await time(into.move, async () => {
      const r = await core.commands.updateCategory(moveRoot, { parentId: to })
      if (!r.ok) throw new Error(`move: ${r.error.type}`)
    })
  }
  await sql`delete from products where id = any(${created}::bigint[])`
}

/**
 * The writes with the GIN index's fastupdate as migrated and the other way round, in alternating
 * rounds (its pending list flushed at each switch), the first round of each a warm-up.
 */
export async function writes(sql: Sql, rounds = 3, n = 150) {
  const [gin] = await sql<{ fastupdate: boolean }[]>`
    select coalesce((select option_value from pg_options_to_table(c.reloptions) where option_name = 'fastupdate'),
      'on')::boolean as fastupdate
    from pg_class c where c.relname = 'products_category_path'`
  const asMigrated = gin!.fastupdate
  const set = async (on: boolean) => {
    await sql.unsafe(`alter index products_category_path set (fastupdate = ${on ? 'on' : 'off'})`)
    await sql`select gin_clean_pending_list('products_category_path'::regclass)`
  }
  const samples = {
    migrated: { insert: [], update: [], move: [] } as WriteSamples,
    other: { insert: [], update: [], move: [] } as WriteSamples,
  }
  try {
    for (let round = 0; round <= rounds; round++) {
      for (const mode of ['migrated', 'other'] as const) {
        await set(mode === 'migrated' ? asMigrated : !asMigrated)
        const into = round === 0 ? { insert: [], update: [], move: [] } : samples[mode]
        await writeRound(sql, into, round === 0 ? 20 : n)
      }
    }
  } finally {
    await set(asMigrated)
  }
  const [holding] = await sql<
    { n: string }[]
  >`select subtree as n from category_product_counts where category_id = ${buildTree().moveRoot}`
  const summary = (w: WriteSamples) => ({
    insert: percentiles(w.insert),
    update: percentiles(w.update),
    move: { ...percentiles(w.move), categories: MOVE_SIZE, products: Number(holding!.n) },
  })
  return {
    gin_fastupdate_as_migrated: asMigrated,
    as_migrated: summary(samples.migrated),
    other: summary(samples.other),
  }
}

async function main() {
  let loaded: Awaited<ReturnType<typeof loadCatalog>> | undefined
  const db0 =
    process.env.BENCH_LISTING_REUSE === '1'
      ? await openDatabase({ url: LISTING_DB, dataDir: '', name: 'catalog', poolMax: 4, log: silentLogger }).catch(
          () => undefined,
        )
      : undefined
  const reuse =
    db0 &&
    (await db0.sql`select to_regclass('products') is not null as ok`
      .then((r) => r[0]?.ok && db0.sql`select count(*)::int as n from products`.then((c) => c[0]!.n === 100_000))
      .catch(() => false))
  if (!reuse) {
    await db0?.close()
    say(`loading ${LISTING_DB.replace(/\/\/[^@]*@/, '//')} (bench/catalog/load-catalog.ts)`)
    loaded = await loadCatalog(LISTING_DB)
    say(
      `loaded ${loaded.categories} categories (${loaded.depth} ` +
        `levels), ${loaded.products} products in ${loaded.seconds} s`,
    )
  }
  const db =
    db0 && reuse
      ? db0
      : await openDatabase({ url: LISTING_DB, dataDir: '', name: 'catalog', poolMax: 4, log: silentLogger })
  const sql = db.sql
  try {
    const subtrees: Subtree[] = loaded?.subtrees ?? (await pickSubtrees(sql))
    const shopPort = freePort()
    const ceilingPort = freePort()
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      DATABASE_URL: LISTING_DB,
      DATABASE_POOL_MAX: '10',
    }
    const shop = Bun.spawn(['bun', join(ROOT, 'catalog', 'src', 'main.ts')], {
      env: {
        ...env,
        PORT: String(shopPort),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        JWT_SECRET: 'bench-only-secret-0123456789abcdef0123',
        ...TEST_EVENT_KEYS.env('catalog'),
      },
      stdout: 'inherit',
      stderr: 'inherit',
    })
    const ceiling = Bun.spawn(['bun', join(ROOT, 'bench', 'ceilings', 'listing.ts')], {
      env: { ...env, PORT: String(ceilingPort) },
      stdout: 'inherit',
      stderr: 'inherit',
    })
    const S = `http://127.0.0.1:${shopPort}`
    const C = `http://127.0.0.1:${ceilingPort}`
    const sizes: { subtree: Subtree; shop: Measured; adjacency: Measured; path: Measured }[] = []
    const sorts: Record<string, Measured> = {}
    let loadBefore: Awaited<ReturnType<typeof machineLoad>> | undefined
    try {
      await waitReady(`${S}/health/ready`)
      await waitReady(`${C}/health`)
      loadBefore = await machineLoad()
      const pids = [shop.pid, ceiling.pid]
      for (const subtree of subtrees) {
        const urls = {
          shop: `${S}/api/v1/products?category_id=${subtree.id}&limit=50`,
          adjacency: `${C}/adjacency/${subtree.id}`,
          path: `${C}/path/${subtree.id}`,
        }
        const pages = await Promise.all(Object.values(urls).map(probe))
        for (const p of pages.slice(1)) {
          if (JSON.stringify(p) !== JSON.stringify(pages[0]))
            throw new Error(
              `category ${subtree.id}: the ceilings answer differently from the service: ${JSON.stringify(pages)}`,
            )
        }
        if (pages[0]!.ids.length !== Math.min(50, subtree.products) || pages[0]!.total !== String(subtree.products))
          throw new Error(`category ${subtree.id}: ${JSON.stringify(pages[0])}`)
        say(
          `~${subtree.target} products (category ${subtree.id}, ${subtree.categories} ` +
            `categories, ${subtree.products} products)`,
        )
        const m = await compare(
          {
            shop: { url: urls.shop, pid: shop.pid },
            adjacency: { url: urls.adjacency, pid: ceiling.pid },
            path: { url: urls.path, pid: ceiling.pid },
          },
          pids,
        )
        sizes.push({ subtree, shop: m.shop!, adjacency: m.adjacency!, path: m.path! })
        say(
          `  service ${m.shop!.requests_per_second} req/s, ` +
            `(a) ${m.adjacency!.requests_per_second}, (b) ${m.path!.requests_per_second}`,
        )
      }
      const largest = subtrees.at(-1)!
      const sortUrl = (sort: string) => `${S}/api/v1/products?category_id=${largest.id}&limit=50&sort=${sort}`
      for (const sort of ['price', '-created_at']) {
        const page = await probe(sortUrl(sort))
        if (page.ids.length !== 50) throw new Error(`${sortUrl(sort)}: ${page.ids.length} products`)
      }
      const m = await compare(
        Object.fromEntries(['id', 'price', '-created_at'].map((s) => [s, { url: sortUrl(s), pid: shop.pid }])),
        pids,
      )
      for (const [k, v] of Object.entries(m)) {
        sorts[k] = v
        say(`  sort=${k} on category ${largest.id}: ${v.requests_per_second} req/s`)
      }
    } finally {
      shop.kill('SIGTERM')
      ceiling.kill('SIGTERM')
      await Promise.all([shop.exited, ceiling.exited])
    }

    say('writes (in-process), GIN fastupdate as migrated and the other way round, alternating')
    const written = await writes(sql)
    await sql`vacuum analyze products`

    const r1 = (x: number) => Math.round(x * 10) / 10
    const pct = (a: number, b: number) => r1((a / b) * 100)
    const rows = sizes.map((s) => {
      const best = Math.max(s.adjacency.requests_per_second, s.path.requests_per_second)
      return {
        target: s.subtree.target,
        category: s.subtree.id,
        categories: s.subtree.categories,
        products: s.subtree.products,
        service: s.shop,
        adjacency: s.adjacency,
        path: s.path,
        ceiling: s.adjacency.requests_per_second >= s.path.requests_per_second ? 'adjacency' : 'path',
        vs_ceiling_pct: pct(s.shop.requests_per_second, best),
        met: s.shop.requests_per_second >= 0.7 * best,
      }
    })
    const small = rows[0]!.service.requests_per_second
    const big = rows.at(-1)!
    const defaultRps = big.service.requests_per_second
    const results = {
      when: new Date().toISOString(),
      method:
        `wrk ${CONNECTIONS} connections; endpoints compared with each other measured in ${ROUNDS} ` +
        `alternating rounds of ${SECONDS} s (after 1 s of warm-up each), the median counts; ` +
        `processes let settle before each run; catalog as a real process (LOG_LEVEL=warn, pool 10) ` +
        `and the ceilings (bench/ceilings/listing.ts, pool 10) ` +
        `on the same database, measured one after the other in this run`,
      machine_load_before: loadBefore,
      data: loaded
        ? {
            categories: loaded.categories,
            depth: loaded.depth,
            products: loaded.products,
            load_seconds: loaded.seconds,
          }
        : { reused: LISTING_DB },
      sizes: rows,
      largest_vs_smallest_pct: pct(defaultRps, small),
      largest_vs_smallest_met: defaultRps >= 0.5 * small,
      // Each sort against the default sort measured in the same alternating rounds.
      sorts: Object.fromEntries(
        Object.entries(sorts).map(([k, w]) => [
          k,
          {
            ...w,
            vs_default_pct: pct(w.requests_per_second, sorts.id!.requests_per_second),
            met: w.requests_per_second >= 0.5 * sorts.id!.requests_per_second,
          },
        ]),
      ),
      writes: written,
      before_003: {
        insert_ms: 1.47,
        update_ms: 1.21,
        move_ms: 22,
        source:
          'figures of the same operations measured before migration ' +
          '003 (no paths, no subtree counts, no department locks)',
      },
    }
    const file = writeResult(LISTING_SHAPE === 'strided' ? 'listing-strided' : 'listing', {
      shape: LISTING_SHAPE,
      ...results,
    })

    process.stdout.write(`\n${listingMarkdown(results)}\nwritten to ${file}\n`)
  } finally {
    await db.close()
  }
}

/**
 * The tables of a results file (bench/results/listing.json): printed by this script, and put in bench/REPORT.md by
 * bench/report.ts.
 */
export function listingMarkdown(results: any): string {
  const ok = (b: boolean) => (b ? '**met**' : '**not met**')
  const w = (x: Measured) =>
    `${x.requests_per_second} (p50 ${x.p50_ms}, p99 ${x.p99_ms}; ${x.server_cpu_ms_per_request} ms CPU/req)`
  const ms = (p: { p50: number; p99: number }) => `${p.p50} / ${p.p99}`
  const onOff = (b: boolean) => (b ? 'on' : 'off')
  const rows = results.sizes as any[]
  const big = rows.at(-1)
  const { as_migrated: a, other: o, gin_fastupdate_as_migrated: asMigrated } = results.writes
  return [
    '| subtree (category: categories, products) | service req/s | (a) CTE + per-category ' +
      'top 50 | (b) path walk by sort index | service vs best ceiling (≥ 70%) |',
    '|---|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ~${r.target}: ${r.category}: ${r.categories} cat., ${r.products} prod. ` +
        `| ${w(r.service)} | ${w(r.adjacency)} | ${w(r.path)} | ${r.vs_ceiling_pct}% ` +
        `of ${r.ceiling === 'adjacency' ? '(a)' : '(b)'}: ${ok(r.met)} |`,
    ),
    '',
    `| largest subtree (${big.products} products) | req/s | vs its default sort (≥ 50%) |`,
    '|---|---:|---|',
    ...Object.entries(results.sorts as Record<string, any>).map(([k, v]) =>
      k === 'id' ? `| default sort (id) | ${w(v)} | |` : `| sort=${k} | ${w(v)} | ${v.vs_default_pct}%: ${ok(v.met)} |`,
    ),
    `| the largest subtree (default sort) vs the 10-product one (≥ 50%) | ` +
      `| ${results.largest_vs_smallest_pct}%: ${ok(results.largest_vs_smallest_met)} |`,
    '',
    `| write (in-process: the use case on the postgres adapter) | p50 / p99 ms, ` +
      `GIN fastupdate ${onOff(asMigrated)} (as migrated) | fastupdate ${onOff(!asMigrated)} | before 003 (ms) |`,
    '|---|---|---|---:|',
    `| product insert | ${ms(a.insert)} | ${ms(o.insert)} | ${results.before_003.insert_ms} |`,
    `| product update (price) | ${ms(a.update)} | ${ms(o.update)} | ${results.before_003.update_ms} |`,
    `| move of ${a.move.categories} categories holding ${a.move.products} products (there and back) ` +
      `| ${ms(a.move)} | ${ms(o.move)} | ${results.before_003.move_ms} |`,
    '',
  ].join('\n')
}

if (import.meta.main) await main()
