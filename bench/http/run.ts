/**
 * bench/http: the HTTP read and login scenarios against the three services as real processes on
 * the real PostgreSQL and RabbitMQ, and, in the same run and with the same wrk settings, the
 * ceilings they are compared with.
 *
 *   bun bench/http/run.ts        (BENCH_WRK_SECONDS, BENCH_WRK_CONNECTIONS, BENCH_WRK_THREADS)
 *
 * Data: the catalog data set of bench/catalog (10,000 categories, 100,000 products) loaded into
 * the catalog's database; users registered through auth (BCRYPT_COST=10).
 * Scenarios: GET /api/v1/product/{id} (ids rotating at random), GET /api/v1/products?category_id=
 * <the largest subtree>&limit=50, POST /api/v1/auth/login (users rotating), GET /api/v1/users/me
 * (tokens rotating); each under load (wrk) and unloaded (1 connection), with the peak RSS of
 * every service process and the machine's load before it.
 * Ceilings: a bare Hono JSON endpoint; a bare postgres.js primary-key select in-process and over
 * Bun.serve; bcrypt verify at cost 10. Writes bench/results/http.json.
 */
import { join } from 'node:path'
import postgres from 'postgres'
import { buildTree, load } from '../catalog/data.ts'
import {
  MemorySampler,
  WRK,
  cores,
  lua,
  machineLoad,
  settle,
  wrk,
  writeResult,
  type WrkResult,
} from '../lib/measure.ts'
import {
  POOL_MAX,
  ROOT,
  SERVICES_ROOT,
  Service,
  type Shop,
  dbName,
  dbUrl,
  freePort,
  makeUsers,
  startShop,
} from '../lib/shop.ts'

const UNLOADED_SECONDS = Number(process.env.BENCH_UNLOADED_SECONDS ?? 5)
const USERS = 8

const say = (s: string) => process.stdout.write(`bench/http: ${s}\n`)

export interface Scenario {
  readonly what: string
  readonly loaded: WrkResult
  readonly unloaded: WrkResult
  readonly peak_rss_mb: Record<string, number>
  readonly machine_load_before: Awaited<ReturnType<typeof machineLoad>>
  /** warn/error lines the processes logged during the scenario. */
  readonly service_warnings: number
}

/** Warm-up, then the loaded run (peak RSS sampled), then an unloaded run (1 connection). */
async function scenario(what: string, url: string, script: string, procs: readonly Service[]): Promise<Scenario> {
  say(`${what}: warm-up ${WRK.warmup} s`)
  await wrk(url, { script, seconds: WRK.warmup })
  const pids = procs.map((p) => p.pid)
  await settle(pids)
  const machine_load_before = await machineLoad()
  const lines = procs.map((p) => p.output().length)
  const mem = new MemorySampler(Object.fromEntries(procs.map((p) => [p.name, p.pid]))).start()
  const loaded = await wrk(url, { script })
  const peak_rss_mb = mem.stop()
  await settle(pids)
  const unloaded = await wrk(url, { script, connections: 1, threads: 1, seconds: UNLOADED_SECONDS })
  const service_warnings = procs.reduce((n, p, i) => n + p.problems(lines[i]).length, 0)
  await settle(pids)
  say(
    `${what}: ${loaded.requests_per_second} req/s, p50 ${loaded.p50_ms} ms, ` +
      `p99 ${loaded.p99_ms} ms, non-2xx ${loaded.non_2xx}; unloaded p50 ${unloaded.p50_ms} ms`,
  )
  return { what, loaded, unloaded, peak_rss_mb, machine_load_before, service_warnings }
}

async function spawnJson<T>(argv: string[]): Promise<T> {
  const p = Bun.spawn(argv, { cwd: ROOT, stdout: 'pipe', stderr: 'inherit' })
  const out = await new Response(p.stdout).text()
  if ((await p.exited) !== 0) throw new Error(`${argv.join(' ')} failed`)
  return JSON.parse(out.trim().split('\n').at(-1)!) as T
}

// wrk scripts. Each wrk thread has its own Lua state; `setup` numbers them so their sequences differ.
const threadSeed = `
local n = 0
function setup(thread) n = n + 1; thread:set("tid", n) end
function init(args) math.randomseed((tid or 1) * 7919 + os.time()) end
`
export const randomPath = (prefix: string, max: number) => `${threadSeed}
request = function() return wrk.format("GET", ${lua(prefix)} .. math.random(1, ${max})) end
`
// Requests are formatted in init(): only then does wrk know the Host header.
export const rotating = (
  requests: { method: string; path: string; headers: Record<string, string>; body?: string }[],
) => `
local n = 0
function setup(thread) n = n + 1; thread:set("tid", n) end
local reqs = {}
function init(args)
${requests
  .map(
    (r) =>
      `  table.insert(reqs, wrk.format(${lua(r.method)}, ${lua(r.path)}, { ${Object.entries(r.headers)
        .map(([k, v]) => `[${lua(k)}] = ${lua(v)}`)
        .join(', ')} }${r.body !== undefined ? `, ${lua(r.body)}` : ''}))`,
  )
  .join('\n')}
end
local i = 0
request = function() i = i + 1; return reqs[((i + (tid or 1)) % #reqs) + 1] end
`

/** Each of `users` logging in, in turn (what the login scenarios send). */
export const loginScript = (users: readonly { username: string; password: string }[]) =>
  rotating(
    users.map((u) => ({
      method: 'POST',
      path: '/api/v1/auth/login',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: u.username, password: u.password }),
    })),
  )

/** Each of `users` in turn GETting `path(i)` (`i` its place in `users`) with its own token. */
export const bearerScript = (users: readonly { token: string }[], path: (i: number) => string) =>
  rotating(users.map((u, i) => ({ method: 'GET', path: path(i), headers: { Authorization: `Bearer ${u.token}` } })))

async function runHttp() {
  const started = new Date().toISOString()
  say('starting the shop (fresh databases shop_bench_*, vhost shop_bench)')
  const shop: Shop = await startShop()
  const extra: Service[] = []
  try {
    // The catalog data set, straight into the catalog's database (the service has migrated it).
    const sql = postgres(dbUrl(dbName('catalog')), { max: 2, onnotice: () => {} })
    let big: { id: number; size: number }
    let products = 0
    try {
      const { cats } = buildTree()
      const t = performance.now()
      await load(sql as never, cats)
      say(`loaded ${cats.length} categories and 100000 products in ${Math.round(performance.now() - t)} ms`)
      big = (
        await sql<{ id: number; size: number }[]>`
        with recursive sub as (
          select id as root, id from categories where parent_id is null
          union all
          select sub.root, c.id from categories c join sub on c.parent_id = sub.id
        )
        select root::int as id, count(*)::int as size from sub group by root order by size desc limit 1`
      )[0]!
      products = (await sql<{ n: number }[]>`select count(*)::int as n from products`)[0]!.n
    } finally {
      await sql.end()
    }
    const subtreeUrl = `/api/v1/products?category_id=${big.id}&limit=50`
    const probe = await fetch(`${shop.catalog.url}${subtreeUrl}`)
    const subtreeProducts = Number(probe.headers.get('X-Total-Count'))
    if (!probe.ok) throw new Error(`probe ${subtreeUrl}: ${probe.status}`)

    say(`registering ${USERS} users (bcrypt cost 10)`)
    const users = await makeUsers(shop, USERS)

    // Ceilings, in the same run, with the same wrk settings.
    const hono = new Service('hono-ceiling', ['bun', join(ROOT, 'bench', 'ceilings', 'hono.ts')], {
      PORT: String(freePort()),
    })
    const pgHttp = new Service('pg-http-ceiling', ['bun', join(ROOT, 'bench', 'ceilings', 'pg-http.ts')], {
      PORT: String(freePort()),
      DATABASE_URL: dbUrl(dbName('catalog')),
      DATABASE_POOL_MAX: String(POOL_MAX),
      SERVICES_ROOT,
    })
    extra.push(hono, pgHttp)
    await Promise.all([hono.start(), pgHttp.start()])

    const ceilings = {
      hono: await scenario('ceiling: bare Hono on Bun, GET /json', `${hono.url}/json`, '', [hono]),
      pg_http: await scenario(
        'ceiling: bare Bun.serve + postgres.js PK select, GET /product/<random id>',
        pgHttp.url,
        randomPath('/product/', products),
        [pgHttp],
      ),
      pg_http_listing: await scenario(
        `ceiling: the listing's SQL on bare Bun.serve + postgres.js, GET /listing/${big.id}`,
        `${pgHttp.url}/listing/${big.id}`,
        '',
        [pgHttp],
      ),
      pg_in_process: await spawnJson<Record<string, number>>([
        'bun',
        join(ROOT, 'bench', 'ceilings', 'pg.ts'),
        dbUrl(dbName('catalog')),
        String(WRK.connections),
        String(POOL_MAX),
        String(Math.min(10, WRK.seconds)),
        String(products),
      ]),
      // The bcrypt ceiling is measured right before and right after the login scenario (below),
      // so that both see the same machine: others' work on these 2 cores swings it by 2x.
      bcrypt: undefined as unknown as Record<string, number>,
      bcrypt_before_login: undefined as unknown as Record<string, number>,
      bcrypt_after_login: undefined as unknown as Record<string, number>,
      bcrypt_one_at_a_time: await spawnJson<Record<string, number>>([
        'bun',
        join(ROOT, 'bench', 'ceilings', 'bcrypt.ts'),
        '10',
        '1',
        '5',
      ]),
    }
    say(
      `ceiling: postgres.js in-process ${ceilings.pg_in_process.queries_per_second} q/s; ` +
        `bcrypt one at a time ${ceilings.bcrypt_one_at_a_time.verifications_per_second} verify/s`,
    )
    const bcryptCeiling = () =>
      spawnJson<Record<string, number>>([
        'bun',
        join(ROOT, 'bench', 'ceilings', 'bcrypt.ts'),
        '10',
        String(WRK.connections),
        String(Math.min(10, WRK.seconds)),
      ])
    await Promise.all(extra.map((s) => s.stop()))
    extra.length = 0

    const svc = shop.all
    const scenarios = {
      product_by_id: await scenario(
        'GET /api/v1/product/{id}',
        shop.catalog.url,
        randomPath('/api/v1/product/', products),
        svc,
      ),
      products_subtree: await scenario(`GET ${subtreeUrl}`, `${shop.catalog.url}${subtreeUrl}`, '', svc),
      login: await (async () => {
        await settle(svc.map((p) => p.pid))
        ceilings.bcrypt_before_login = await bcryptCeiling()
        const r = await scenario('POST /api/v1/auth/login', shop.auth.url, loginScript(users), svc)
        ceilings.bcrypt_after_login = await bcryptCeiling()
        const a = ceilings.bcrypt_before_login
        const b = ceilings.bcrypt_after_login
        // The ceiling the login is compared with: the mean of the two, each 32 in flight.
        ceilings.bcrypt = {
          ...a,
          verifications_per_second:
            Math.round(((a.verifications_per_second! + b.verifications_per_second!) / 2) * 100) / 100,
          p50_ms: Math.round(((a.p50_ms! + b.p50_ms!) / 2) * 100) / 100,
          p99_ms: Math.max(a.p99_ms!, b.p99_ms!),
        }
        say(
          `ceiling: bcrypt ${a.verifications_per_second} verify/s before the login ` +
            `scenario, ${b.verifications_per_second} after (${WRK.connections} in flight)`,
        )
        return r
      })(),
      users_me: await scenario(
        'GET /api/v1/users/me',
        shop.auth.url,
        bearerScript(users, () => '/api/v1/users/me'),
        svc,
      ),
    }

    // What request logs at info cost: the product read again, with the catalog at LOG_LEVEL=info
    // (JSON lines to a file, as a deployment's stdout would go to its collector).
    await shop.catalog.stop()
    const infoCatalog = new Service('catalog', shop.catalog.argv, {
      ...shop.catalog.env,
      LOG_LEVEL: 'info',
      PORT: String(freePort()),
    })
    extra.push(infoCatalog)
    await infoCatalog.start()
    const atInfo = await scenario(
      'GET /api/v1/product/{id} with LOG_LEVEL=info',
      infoCatalog.url,
      randomPath('/api/v1/product/', products),
      [infoCatalog],
    )

    const result = {
      when: started,
      machine: { cores: cores(), note: 'PostgreSQL, RabbitMQ, the services, the ceilings and wrk share these cores' },
      wrk:
        `${Math.min(WRK.threads, WRK.connections)} threads, ${WRK.connections} connections, ${WRK.seconds} ` +
        `s after a ${WRK.warmup} s warm-up; unloaded: 1 connection, ${UNLOADED_SECONDS} s`,
      services: {
        LOG_LEVEL: 'warn',
        BCRYPT_COST: 10,
        DATABASE_POOL_MAX: POOL_MAX,
        code: SERVICES_ROOT === ROOT ? 'this checkout' : SERVICES_ROOT,
      },
      data: {
        categories: 10_000,
        products,
        subtree_root: big.id,
        subtree_categories: big.size,
        subtree_products: subtreeProducts,
        users: USERS,
      },
      ceilings,
      scenarios,
      log_level_info: { product_by_id: atInfo },
    }
    const file = writeResult('http', result)
    say(`written to ${file}`)
    return result
  } finally {
    await Promise.all(extra.map((s) => s.stop().catch(() => 0)))
    await shop.stop()
  }
}

if (import.meta.main) {
  await runHttp()
  process.exit(0)
}
