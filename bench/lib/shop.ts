/**
 * The benchmark launcher: the three services as real processes on the real PostgreSQL
 * (databases `shop_bench_<service>`, dropped and created at every start) and RabbitMQ (a vhost
 * of their own, `shop_bench`, emptied of the shop's queues at every start, so neither the
 * integration tests' `shop_test` vhost nor a `make start` on `/` is disturbed).
 *
 * Services run with LOG_LEVEL=warn (request logs at info cost throughput: see bench/REPORT.md)
 * and BCRYPT_COST=10 (the default) unless the caller overrides them. Ports are picked free by the
 * launcher, because at LOG_LEVEL=warn the "listening" line (info) is not printed.
 */
import { startThree } from '@shop/platform/testing/fixtures'
import { mkdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { resetShopVhost, serviceUrl } from '@shop/platform/testing/broker'
import { api, eventually as poll } from '@shop/platform/testing/client'
import { TEST_EVENT_KEYS } from '@shop/platform/testing/event-keys'

export const ROOT = join(import.meta.dir, '..', '..')
/**
 * Where the services' code is taken from: this checkout, or (BENCH_SERVICES_ROOT) another tree
 * with its own node_modules, e.g. bench/.before (the code before an optimisation) for an A/B run
 * of the same benchmark scripts on the same machine minutes apart.
 */
export const SERVICES_ROOT = process.env.BENCH_SERVICES_ROOT ? join(ROOT, process.env.BENCH_SERVICES_ROOT) : ROOT
export const SECRET = 'bench-only-secret-0123456789abcdef0123456789'
export const ADMIN = { username: 'benchadmin', email: 'benchadmin@shop.bench', password: 'bench-admin-password-1' }
export type ServiceName = 'auth' | 'catalog' | 'order'
export const SERVICES: readonly ServiceName[] = ['auth', 'catalog', 'order']

const PG_BASE = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const AMQP_BASE = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'
export const VHOST = 'shop_bench'
export const POOL_MAX = Number(process.env.BENCH_POOL_MAX ?? 10)

export const dbUrl = (name: string) => Object.assign(new URL(PG_BASE), { pathname: `/${name}` }).toString()
/** A shop's databases are `shop_<name>_<service>` and its vhost `shop_<name>` (default name: bench). */
export const dbName = (svc: ServiceName, name = 'bench') => `shop_${name}_${svc}`
/** A service's own broker user on a shop's vhost (set up by resetBroker). */
export const amqpUrl = (svc: ServiceName, vhost = VHOST): string => serviceUrl(AMQP_BASE, svc, vhost)

/** A free TCP port on 127.0.0.1 (bound and released; the service binds it right after). */
export function freePort(): number {
  const s = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = s.port
  s.stop(true)
  return port
}

export async function resetDatabases(names: readonly string[]): Promise<void> {
  const sql = postgres(PG_BASE, { max: 1, onnotice: () => {} })
  try {
    for (const n of names) {
      await sql`drop database if exists ${sql(n)} with (force)`
      await sql`create database ${sql(n)}`
    }
  } finally {
    await sql.end()
  }
}

export const resetBroker = (vhost = VHOST): Promise<void> => resetShopVhost(AMQP_BASE, vhost)

export const LOG_DIR = join(tmpdir(), 'shop-bench')

/**
 * A process of ours under test. Its stdout and stderr go to a file (as a deployment's would go
 * to its log collector), not through a pipe the benchmark would have to drain.
 */
export class Service {
  proc!: ReturnType<typeof Bun.spawn>
  readonly port: number
  readonly logFile: string
  constructor(
    readonly name: string,
    readonly argv: string[],
    readonly env: Record<string, string>,
  ) {
    this.port = Number(env.PORT)
    mkdirSync(LOG_DIR, { recursive: true })
    this.logFile = join(LOG_DIR, `${name}-${process.pid}-${this.port}.log`)
  }
  get url() {
    return `http://127.0.0.1:${this.port}`
  }
  get pid() {
    return this.proc.pid
  }

  output(): string[] {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').filter(Boolean)
    } catch {
      return []
    }
  }

  async start(timeoutMs = 60_000, readyPath = '/health/ready'): Promise<void> {
    const out = Bun.file(this.logFile)
    this.proc = Bun.spawn(this.argv, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...this.env },
      stdout: out,
      stderr: out,
    })
    let exited: number | undefined
    void this.proc.exited.then((c) => (exited = c))
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      if (exited !== undefined)
        throw new Error(`${this.name} exited with ${exited}:\n${this.output().slice(-20).join('\n')}`)
      const r = await fetch(`${this.url}${readyPath}`).catch(() => undefined)
      if (r?.ok) return
      await Bun.sleep(50)
    }
    throw new Error(`${this.name} not ready within ${timeoutMs} ms:\n${this.output().slice(-20).join('\n')}`)
  }

  async stop(): Promise<number> {
    this.proc.kill('SIGTERM')
    return this.proc.exited
  }

  /** Lines at warn or above that the service printed (a benchmark should see none). */
  problems(fromLine = 0): string[] {
    return this.output()
      .slice(fromLine)
      .filter((l) => /"level":"(warn|error)"/.test(l) && !/AMQP_URL is not set/.test(l))
  }
}

export interface Shop {
  readonly auth: Service
  readonly catalog: Service
  readonly order: Service
  readonly all: readonly Service[]
  stop(): Promise<void>
}

export interface ShopOptions {
  readonly logLevel?: string
  readonly bcryptCost?: number
  readonly env?: Partial<Record<ServiceName, Record<string, string>>>
  /** Keep the databases (default: fresh ones). */
  readonly keepData?: boolean
  /** Databases `shop_<name>_*`, vhost `shop_<name>` (default bench): two shops can run side by side. */
  readonly name?: string
  /** Where the services' code is (default SERVICES_ROOT). */
  readonly root?: string
}

/**
 * BENCH_CPU_PROF=order,catalog: those services run under Bun's sampling profiler, which writes a
 * .cpuprofile (Chrome DevTools format) into LOG_DIR/profiles when the service exits.
 */
const profiled = (s: ServiceName): string[] =>
  (process.env.BENCH_CPU_PROF ?? '').split(',').includes(s)
    ? ['--cpu-prof', '--cpu-prof-dir', join(LOG_DIR, 'profiles')]
    : []

/** Fresh databases and queues, then the three services started and ready. */
export async function startShop(o: ShopOptions = {}): Promise<Shop> {
  const name = o.name ?? 'bench'
  const vhost = `shop_${name}`
  const root = o.root ?? SERVICES_ROOT
  if (!o.keepData) await resetDatabases(SERVICES.map((s) => dbName(s, name)))
  await resetBroker(vhost)
  const common = {
    JWT_SECRET: SECRET,
    HOST: '127.0.0.1',
    LOG_LEVEL: o.logLevel ?? 'warn',
    BCRYPT_COST: String(o.bcryptCost ?? 10),
    DATABASE_POOL_MAX: String(POOL_MAX),
    // Benchmarks register and log in many users at once from one address, each user several
    // times at once (8 users over 32 connections); the login limits count attempts in flight.
    REGISTER_MAX_PER_ADDRESS: '1000000',
    LOGIN_MAX_FAILURES: '1000',
    LOGIN_MAX_FAILURES_PER_ADDRESS: '100000',
    LOGIN_MAX_FAILURES_PER_ACCOUNT: '100000',
  }
  const make = (s: ServiceName, extra: Record<string, string> = {}) =>
    new Service(s, ['bun', ...profiled(s), join(root, s, 'src', 'main.ts')], {
      ...common,
      PORT: String(freePort()),
      ...TEST_EVENT_KEYS.env(s),
      DATABASE_URL: dbUrl(dbName(s, name)),
      AMQP_URL: amqpUrl(s, vhost),
      ...extra,
      ...(o.env?.[s] ?? {}),
    })
  // auth creates the admin and publishes user.created; the others consume it.
  const { auth, catalog, order } = await startThree(make, ADMIN)
  const all = [auth, catalog, order]
  return {
    auth,
    catalog,
    order,
    all,
    async stop() {
      await Promise.all(all.map((s) => s.stop().catch(() => 0)))
    },
  }
}

export { api }

export async function must(p: ReturnType<typeof api>, status: number, what: string) {
  const r = await p
  if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status} ${r.text.slice(0, 300)}`)
  return r
}

/** `eventually` with the benchmarks' patience: loading a large catalog takes a while. */
export const eventually = <T>(fn: () => Promise<T | undefined | false>, what: string, ms = 60_000): Promise<T> =>
  poll(fn, what, ms)

/** Users registered and logged in (bcrypt at the service's cost: a few per second per core). */
export async function makeUsers(
  shop: Shop,
  n: number,
  prefix = 'bench',
): Promise<{ id: string; username: string; password: string; token: string }[]> {
  const out: { id: string; username: string; password: string; token: string }[] = []
  const run = `${prefix}${Date.now().toString(36)}`
  for (let i = 0; i < n; i += 4) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(4, n - i) }, async (_, k) => {
        const username = `${run}_${i + k}`
        const password = `password-${i + k}-bench`
        const reg = await must(
          api(shop.auth.url, 'POST', '/api/v1/auth/register', {
            body: { username, email: `${username}@shop.bench`, password },
          }),
          201,
          'register',
        )
        const login = await must(
          api(shop.auth.url, 'POST', '/api/v1/auth/login', { body: { username, password } }),
          200,
          'login',
        )
        return { id: reg.body.id as string, username, password, token: login.body.access_token as string }
      }),
    )
    out.push(...batch)
  }
  return out
}

export async function adminToken(shop: Shop): Promise<string> {
  const r = await must(
    api(shop.auth.url, 'POST', '/api/v1/auth/login', { body: { username: ADMIN.username, password: ADMIN.password } }),
    200,
    'admin login',
  )
  return r.body.access_token
}

/**
 * A category of `n` products made through the catalog's API (the names from `name`, stock plenty), awaited until
 * the order service's replica of the shop's database `name` holds them all. Their ids, in order.
 */
export async function makeOrderableProducts(
  shop: Shop,
  o: { shopName: string; n: number; label: string; price?: string; stock?: number },
): Promise<number[]> {
  const admin = await adminToken(shop)
  const cat = await must(
    api(shop.catalog.url, 'POST', '/api/v1/category', { token: admin, body: { name: `${o.label} ${Date.now()}` } }),
    201,
    'category',
  )
  const products: number[] = []
  for (let i = 0; i < o.n; i++) {
    const body = { name: `${o.label} ${i}`, price: o.price ?? '9.90', stock: o.stock ?? 100_000_000 }
    const p = await must(
      api(shop.catalog.url, 'POST', '/api/v1/product', { token: admin, body: { ...body, category_id: cat.body.id } }),
      201,
      'product',
    )
    products.push(p.body.id)
  }
  const sql = postgres(dbUrl(dbName('order', o.shopName)), { max: 1, onnotice: () => {} })
  try {
    const count = async () => (await sql<{ n: number }[]>`select count(*)::int as n from products`)[0]!.n
    await eventually(async () => (await count()) >= o.n, 'order replica')
  } finally {
    await sql.end()
  }
  return products
}
