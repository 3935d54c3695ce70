/**
 * Catalog benchmark (a script, not a test): `bun bench/catalog/run.ts`.
 *
 * Loads 10,000 categories (20 levels deep at most) and 100,000 products into a real PostgreSQL
 * database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/shop_bench_catalog,
 * created if missing, emptied at every run), then measures through the postgres adapter:
 * a subtree query, a breadcrumb (ancestors) query and the move of a 1,000-node subtree; and,
 * with wrk against the catalog service started as a real process, the throughput and latency of
 * GET /api/v1/products?category_id=<a subtree root>&limit=50.
 * Prints a markdown table and writes bench/results/catalog.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { silentLogger } from '@shop/platform/log'
import { ensureDatabase, openDatabase } from '@shop/platform/postgres/connect'
import { migrate } from '@shop/platform/postgres/migrate'
import { systemClock } from '@shop/kernel/app'
import { catalogApplication } from '../../catalog/src/app/application.ts'
import { MIGRATIONS } from '../../catalog/src/main.ts'
import { postgresCatalogStore } from '../../catalog/src/adapters/postgres/store.ts'
import { MAX_LEVEL, MOVE_SIZE, buildTree, load } from './data.ts'
import { MemorySampler, machineLoad } from '../lib/measure.ts'
import { TEST_EVENT_KEYS } from '@shop/platform/testing/event-keys'

const ROOT = join(import.meta.dir, '..', '..')
const URL_ = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/shop_bench_catalog'
const WRK = { threads: 2, connections: 32, seconds: Number(process.env.BENCH_WRK_SECONDS ?? 15) } as const
const PORT = Number(process.env.BENCH_PORT ?? 18_001)

async function timeIt(
  runs: number,
  f: () => Promise<unknown>,
): Promise<{ median_ms: number; min_ms: number; runs: number }> {
  for (let i = 0; i < 3; i++) await f()
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    await f()
    times.push(performance.now() - t)
  }
  times.sort((a, b) => a - b)
  const r = (x: number) => Math.round(x * 100) / 100
  return { median_ms: r(times[Math.floor(times.length / 2)]!), min_ms: r(times[0]!), runs }
}

async function waitReady(url: string, ms: number) {
  const until = Date.now() + ms
  while (Date.now() < until) {
    try {
      if ((await fetch(`${url}/health/ready`)).ok) return
    } catch {
      // not listening yet
    }
    await Bun.sleep(200)
  }
  throw new Error(`the catalog service did not become ready at ${url}`)
}

/** Runs wrk and reads its summary: requests/s and the 50th/99th latency percentiles (ms). */
async function wrk(url: string, connections: number, seconds: number) {
  const threads = Math.min(WRK.threads, connections)
  const run = Bun.spawn(['wrk', `-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', url], {
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const out = await new Response(run.stdout).text()
  if ((await run.exited) !== 0) throw new Error(`wrk failed: ${await new Response(run.stderr).text()}`)
  const ms = (label: string) => {
    const m = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out)
    if (!m) throw new Error(`no ${label}% latency in wrk output:\n${out}`)
    const v = Number(m[1])
    return Math.round((m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v) * 100) / 100
  }
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1])
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0)
  const requests = Number(/(\d+) requests in/.exec(out)?.[1])
  return {
    requests_per_second: Math.round(rps),
    p50_ms: ms('50'),
    p99_ms: ms('99'),
    requests,
    non_2xx: non2xx,
    raw: out,
  }
}

async function main() {
  const log = silentLogger
  await ensureDatabase(URL_, log)
  const db = await openDatabase({ url: URL_, dataDir: '', name: 'catalog', poolMax: 10, log })
  const sql = db.sql
  try {
    process.stdout.write(`bench: resetting ${URL_.replace(/\/\/[^@]*@/, '//')}\n`)
    await sql`drop schema if exists public cascade`
    await sql`create schema public`
    await migrate(sql, MIGRATIONS, log)

    const { cats, deepest, moveRoot, moveTarget } = buildTree()
    let t = performance.now()
    await load(sql, cats)
    const loadSeconds = Math.round((performance.now() - t) / 100) / 10
    const [shape] = await sql<{ categories: number; products: number; max_level: number }[]>`
      select (select count(*)::int from categories) as categories, (select count(*)::int from products) as products,
             (select max(level) from categories) as max_level`
    process.stdout.write(
      `bench: loaded ${shape!.categories} categories (max level ${shape!.max_level}) ` +
        `and ${shape!.products} products in ${loadSeconds} s\n`,
    )

    const store = postgresCatalogStore(sql)
    const core = catalogApplication({ store, clock: systemClock })

    // The root with the largest subtree: the heaviest realistic subtree query and product filter.
    const [big] = await sql<{ id: number; size: number }[]>`
      with recursive sub as (
        select id as root, id from categories where parent_id is null
        union all
        select sub.root, c.id from categories c join sub on c.parent_id = sub.id
      )
      select root as id, count(*)::int as size from sub group by root order by size desc limit 1`
    const subtree = await timeIt(20, () => store.categories.list({ under: big!.id }, { limit: 50, offset: 0 }))
    const breadcrumb = await timeIt(50, () => store.categories.lineage(deepest))
    const lineage = await store.categories.lineage(deepest)
    if (lineage.length !== MAX_LEVEL + 1)
      throw new Error(`breadcrumb of the deepest category has ${lineage.length} entries`)

    // The move: there (every level of the 1,000 shifts by +6) and back (-6), timed each way;
    // levels are checked after both directions, and the tree ends as it was loaded.
    const [from] = await sql<
      { parent_id: number; level: number }[]
    >`select parent_id, level from categories where id = ${moveRoot}`
    const checkLevels = async (rootLevel: number) => {
      const [check] = await sql<{ size: number; wrong: number; level: number }[]>`
        with recursive sub as (
          select id from categories where id = ${moveRoot}
          union all
          select c.id from categories c join sub on c.parent_id = sub.id
        )
        select (select count(*)::int from sub) as size,
               (select level from categories where id = ${moveRoot}) as level,
               (select count(*)::int from categories c join categories p on p.id = c.parent_id
                 where c.level <> p.level + 1) as wrong`
      if (check!.size !== MOVE_SIZE || check!.wrong !== 0 || check!.level !== rootLevel)
        throw new Error(`after a move: ${JSON.stringify(check)}`)
    }
    const moveTimes: number[] = []
    for (let i = 0; i < 5; i++) {
      for (const [to, level] of [
        [moveTarget, from!.level + 6],
        [from!.parent_id, from!.level],
      ] as const) {
        t = performance.now()
        const r = await core.commands.updateCategory(moveRoot, { parentId: to })
        moveTimes.push(performance.now() - t)
        if (!r.ok) throw new Error(`move failed: ${r.error.type}`)
        if (i === 0) await checkLevels(level)
      }
    }
    await checkLevels(from!.level)
    moveTimes.sort((a, b) => a - b)
    const move = {
      median_ms: Math.round(moveTimes[5]! * 100) / 100,
      min_ms: Math.round(moveTimes[0]! * 100) / 100,
      runs: moveTimes.length,
      subtree_size: MOVE_SIZE,
      level_shift: 6,
    }
    await sql`vacuum analyze categories`

    // The HTTP figure: the service as a real process on the same database.
    const server = Bun.spawn(['bun', join(ROOT, 'catalog', 'src', 'main.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: URL_,
        PORT: String(PORT),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        JWT_SECRET: 'bench-only-secret-0123456789abcdef0123',
        ...TEST_EVENT_KEYS.env('catalog'),
        DATABASE_POOL_MAX: '10',
      },
      stdout: 'inherit',
      stderr: 'inherit',
    })
    let http: Awaited<ReturnType<typeof wrk>>
    let unloaded: Awaited<ReturnType<typeof wrk>>
    let productsInSubtree = 0
    let load_before: Awaited<ReturnType<typeof machineLoad>> | undefined
    let peak_rss_mb: Record<string, number> = {}
    const target = `http://127.0.0.1:${PORT}/api/v1/products?category_id=${big!.id}&limit=50`
    try {
      await waitReady(`http://127.0.0.1:${PORT}`, 30_000)
      const probe = await fetch(target)
      if (!probe.ok || ((await probe.json()) as unknown[]).length !== 50)
        throw new Error(`probe of ${target} failed: ${probe.status}`)
      productsInSubtree = Number(probe.headers.get('X-Total-Count'))
      process.stdout.write(
        `bench: wrk ${WRK.seconds}s, ${WRK.threads} threads, ${WRK.connections} connections: ` +
          `GET ${target.replace(/^http:\/\/[^/]+/, '')} (X-Total-Count ${probe.headers.get('X-Total-Count')})\n`,
      )
      await wrk(target, WRK.connections, 3) // warm-up: JIT, prepared statements, pool connections
      load_before = await machineLoad()
      const mem = new MemorySampler({ catalog: server.pid }).start()
      http = await wrk(target, WRK.connections, WRK.seconds)
      peak_rss_mb = mem.stop()
      unloaded = await wrk(target, 1, Math.max(3, Math.round(WRK.seconds / 2)))
    } finally {
      server.kill('SIGTERM')
      await server.exited
    }
    if (http.non_2xx + unloaded.non_2xx > 0) throw new Error('wrk saw non-2xx responses')

    const results = {
      date: new Date().toISOString(),
      database: 'PostgreSQL (real server)',
      server_version: (await sql<{ v: string }[]>`select current_setting('server_version') as v`)[0]!.v,
      data: {
        categories: shape!.categories,
        max_level: shape!.max_level,
        products: shape!.products,
        load_seconds: loadSeconds,
      },
      subtree_query: {
        ...subtree,
        root: big!.id,
        subtree_size: big!.size - 1,
        what: 'categories.list({ under: root }) page of 50: recursive CTE, depth-first sort, window count',
      },
      breadcrumb_query: {
        ...breadcrumb,
        category: deepest,
        depth: lineage.length,
        what: 'categories.lineage(deepest): recursive CTE up the parents',
      },
      move_subtree: {
        ...move,
        what:
          'core.commands.updateCategory(root of 1,000 categories, { ' +
          'parentId }): lock, row lock, one CTE update of the whole subtree',
      },
      http_products_in_subtree: {
        url: target.replace(/^http:\/\/[^/]+/, ''),
        products_in_subtree: productsInSubtree,
        wrk: `${WRK.threads} threads, ${WRK.connections} connections, ${WRK.seconds} s`,
        requests_per_second: http.requests_per_second,
        p50_ms: http.p50_ms,
        p99_ms: http.p99_ms,
        requests: http.requests,
        non_2xx: http.non_2xx,
        peak_rss_mb,
        machine_load_before: load_before,
        unloaded: {
          wrk: `1 connection, ${Math.max(3, Math.round(WRK.seconds / 2))} s`,
          requests_per_second: unloaded.requests_per_second,
          p50_ms: unloaded.p50_ms,
          p99_ms: unloaded.p99_ms,
        },
      },
    }
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true })
    writeFileSync(join(ROOT, 'bench', 'results', 'catalog.json'), JSON.stringify(results, null, 2) + '\n')

    const rows = [
      [
        'data',
        `${shape!.categories} categories (levels ` +
          `0..${shape!.max_level}), ${shape!.products} products, loaded in ${loadSeconds} s`,
      ],
      [
        `subtree query (root ${big!.id}, ${big!.size - 1} categories below)`,
        `${subtree.median_ms} ms median (min ${subtree.min_ms}, ${subtree.runs} runs)`,
      ],
      [
        `breadcrumb query (level ${MAX_LEVEL} category, ${lineage.length} entries)`,
        `${breadcrumb.median_ms} ms median (min ${breadcrumb.min_ms}, ${breadcrumb.runs} runs)`,
      ],
      [
        `move of a ${MOVE_SIZE}-category subtree (levels ±6)`,
        `${move.median_ms} ms median (min ${move.min_ms}, ${move.runs} moves)`,
      ],
      [
        `GET /api/v1/products?category_id=${big!.id}&limit=50 (${productsInSubtree} products in the subtree), loaded`,
        `${http.requests_per_second} req/s, p50 ${http.p50_ms} ms, p99 ${http.p99_ms} ms ` +
          `(wrk ${results.http_products_in_subtree.wrk}); catalog peak RSS ${peak_rss_mb.catalog} MiB`,
      ],
      [
        'the same, unloaded',
        `${unloaded.requests_per_second} req/s, p50 ${unloaded.p50_ms} ms, ` +
          `p99 ${unloaded.p99_ms} ms (wrk ${results.http_products_in_subtree.unloaded.wrk})`,
      ],
    ]
    process.stdout.write(
      `\n| measure | result |\n|---|---|\n${rows.map(([a, b]) => `| ${a} | ${b} |`).join('\n')}\n\nwritten ` +
        `to bench/results/catalog.json\n`,
    )
  } finally {
    await db.close()
  }
}

await main()
