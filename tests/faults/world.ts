import { afterAll, beforeAll } from 'bun:test'
import postgres from 'postgres'
import type { StockWrite } from './load.ts'
import {
  ADMIN,
  api,
  checkout,
  dbUrl,
  eventually,
  resetBroker,
  type ServiceName,
  type Shop,
  SERVICES,
  startShop,
} from '../integration/harness.ts'

/**
 * The shop a fault test runs against: the three services as real processes (fresh databases, a
 * broker vhost of this checkout's own, so other checkouts' suites on the same broker never see
 * its events), an admin, a small category tree, products with stock, and registered buyers whose
 * users every replica already knows.
 */
export const FAULT_VHOST = `shop_faults_${checkout}`

export interface Buyer {
  readonly id: string
  readonly username: string
  readonly password: string
  token: string
  readonly orders: number[]
  /** Registered during the load: the admin may change its role or delete it. */
  readonly spare: boolean
  deleted: boolean
}

export interface World {
  readonly shop: Shop
  readonly admin: string
  readonly products: readonly number[]
  /** The stock each product was created with. */
  readonly initialStock: ReadonlyMap<number, number>
  readonly buyers: Buyer[]
  /** Every stock the admin set, across the loads run on this world. */
  readonly stockWrites: StockWrite[]
}

export type Dbs = Record<ServiceName, postgres.Sql>

/** Short-lived connections for the checks (opened after the faults, so none of them is terminated). */
export async function withDbs<T>(fn: (db: Dbs) => Promise<T>): Promise<T> {
  const db = Object.fromEntries(SERVICES.map((s) => [s, postgres(dbUrl(s), { max: 1, onnotice: () => {} })])) as Dbs
  try {
    return await fn(db)
  } finally {
    await Promise.all(SERVICES.map((s) => db[s].end({ timeout: 2 })))
  }
}

async function buildWorld(o: { products?: number; buyers?: number } = {}): Promise<World> {
  // Small pools: the database server is shared (max_connections), and fewer connections per
  // service make every termination hit a larger share of them.
  const pool = { DATABASE_POOL_MAX: '3' }
  const shop = await startShop({ vhost: FAULT_VHOST, env: { auth: pool, catalog: pool, order: pool } })
  const login = async (username: string, password: string) => {
    const r = await api(shop.auth.url, 'POST', '/api/v1/auth/login', { body: { username, password } })
    if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`)
    return r.body.access_token as string
  }
  const admin = await login(ADMIN.username, ADMIN.password)
  const root = await api(shop.catalog.url, 'POST', '/api/v1/category', { token: admin, body: { name: 'Faults' } })
  const leaves = await Promise.all(
    ['Cables', 'Lamps', 'Tools'].map(
      async (name) =>
        (
          await api(shop.catalog.url, 'POST', '/api/v1/category', {
            token: admin,
            body: { name, parent_id: root.body.id },
          })
        ).body.id as number,
    ),
  )
  const initialStock = new Map<number, number>()
  const products: number[] = []
  for (let i = 0; i < (o.products ?? 12); i++) {
    const stock = 20 + ((i * 7) % 41)
    const r = await api(shop.catalog.url, 'POST', '/api/v1/product', {
      token: admin,
      body: { name: `Item ${i}`, price: `${5 + i}.50`, stock, category_id: leaves[i % leaves.length] },
    })
    if (r.status !== 201) throw new Error(`product ${i}: ${r.status} ${r.text}`)
    products.push(r.body.id)
    initialStock.set(r.body.id, stock)
  }
  const buyers = await Promise.all(
    Array.from({ length: o.buyers ?? 16 }, async (_, i): Promise<Buyer> => {
      const username = `buyer${i}`
      const password = `buyer-password-${i}`
      const r = await api(shop.auth.url, 'POST', '/api/v1/auth/register', {
        body: { username, email: `${username}@example.com`, password },
      })
      if (r.status !== 201) throw new Error(`register ${username}: ${r.status} ${r.text}`)
      return {
        id: r.body.id,
        username,
        password,
        token: await login(username, password),
        orders: [],
        spare: false,
        deleted: false,
      }
    }),
  )
  // Every replica knows every product and user before the load starts (orders need the products).
  await withDbs(async (db) => {
    await eventually(
      async () => {
        const [p] = await db.order`select count(*)::int as n from products where id in ${db.order(products)}`
        return p!.n === products.length
      },
      'products in the order replica',
      20_000,
    )
    for (const svc of ['catalog', 'order'] as const) {
      await eventually(
        async () => {
          const [u] = await db[
            svc
          ]`select count(*)::int as n from user_replica where id in ${db[svc](buyers.map((b) => b.id))}`
          return u!.n === buyers.length
        },
        `buyers in the ${svc} user replica`,
        20_000,
      )
    }
  })
  return { shop, admin, products, initialStock, buyers, stockWrites: [] }
}

/** Stops the services and empties the fault vhost (its quorum queues would otherwise stay, and
 * every broker restart on this machine would recover them). */
/** In a describe block: a world built before its tests (given to `set`) and torn down after them, `before` that. */
export function withWorld(set: (w: World) => void, o: { beforeTearDown?: () => Promise<void> } = {}): void {
  let world: World | undefined
  beforeAll(async () => {
    world = await buildWorld()
    set(world)
  }, 120_000)
  afterAll(async () => {
    await o.beforeTearDown?.()
    await tearDown(world)
  })
}

async function tearDown(w: World | undefined): Promise<void> {
  await w?.shop.stop()
  await resetBroker(FAULT_VHOST).catch(() => {})
}

/** Unsent outbox rows per service. */
export async function backlogs(): Promise<Record<ServiceName, number>> {
  return withDbs(async (db) => {
    const out = {} as Record<ServiceName, number>
    for (const s of SERVICES) out[s] = (await db[s]`select count(*)::int as n from outbox where sent_at is null`)[0]!.n
    return out
  })
}

/** Each service process still runs (none crashed, e.g. on an unhandled rejection). */
export function deadProcesses(shop: Shop): string[] {
  return SERVICES.filter((s) => shop[s].proc.exitCode !== null || shop[s].proc.signalCode !== null).map(
    (s) =>
      `${s} exited (${shop[s].proc.exitCode ?? shop[s].proc.signalCode}):\n${shop[s].output.slice(-15).join('\n')}`,
  )
}

/** Warning and error log lines per service and message (printed, for the record). */
export function logSummary(shop: Shop): Record<string, unknown>[] {
  const rows = new Map<string, number>()
  for (const s of SERVICES) {
    for (const l of shop[s].logs()) {
      if (l.level !== 'warn' && l.level !== 'error') continue
      const key = `${s}\t${l.level}\t${l.msg}`
      rows.set(key, (rows.get(key) ?? 0) + 1)
    }
  }
  return [...rows].sort().map(([k, n]) => {
    const [service, level, msg] = k.split('\t')
    return { service, level, msg, lines: n }
  })
}
