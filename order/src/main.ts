import { join } from 'node:path'
import type { Hono } from 'hono'
import type { AppEnv } from '@shop/shared-kernel/http/app'
import type { UserLookup } from '@shop/shared-kernel/http/auth'
import type { RootLogger } from '@shop/shared-kernel/log'
import { type Database, openDatabase } from '@shop/shared-kernel/postgres/connect'
import { migrate } from '@shop/shared-kernel/postgres/migrate'
import { runService } from '@shop/shared-kernel/service'
import { type OrderConfig, loadOrderConfig } from './config.ts'
import { makeOrderCore, type OrderCore } from './order.ts'
import { orderHttp } from './adapters/http/routes.ts'
import { postgresOrderStore } from './adapters/postgres/store.ts'

export const MIGRATIONS = join(import.meta.dir, '..', 'migrations')

export interface OrderService {
  readonly app: Hono<AppEnv>
  readonly core: OrderCore
  /** The database, for the wiring that is not the order service's own (outbox relay, user replica). */
  readonly db: Database
  /** Stops background work and closes the database (the HTTP server is the caller's). */
  stop(): Promise<void>
}

/** What the composition of the whole system may add: the user replica for tokens, a wake-up for the outbox relay. */
export interface OrderExtras {
  readonly lookup?: UserLookup
  readonly onEvents?: () => void
  readonly ready?: Readonly<Record<string, () => Promise<unknown>>>
}

/** The composition root of order: config in, a wired service out. */
export async function startOrder(config: OrderConfig, log: RootLogger, extras: OrderExtras = {}): Promise<OrderService> {
  const db = await openDatabase({
    url: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    name: 'order',
    poolMax: config.DATABASE_POOL_MAX,
    log,
    createIfMissing: true,
  })
  try {
    await migrate(db.sql, MIGRATIONS, log)
    const store = postgresOrderStore(db.sql, extras.onEvents ? { onEvents: extras.onEvents } : {})
    const core = makeOrderCore({ store, clock: { now: () => new Date() } })
    const app = orderHttp({
      core,
      secret: config.JWT_SECRET,
      ...(extras.lookup ? { lookup: extras.lookup } : {}),
      service: 'order',
      log,
      bodyLimit: config.BODY_LIMIT_BYTES,
      corsOrigins: config.CORS_ORIGINS?.split(',').map((s) => s.trim()).filter(Boolean) ?? [],
      ready: { database: db.ping, ...(extras.ready ?? {}) },
    })
    return { app, core, db, stop: () => db.close() }
  } catch (e) {
    await db.close()
    throw e
  }
}

if (import.meta.main) {
  await runService({ name: 'order', load: loadOrderConfig, start: (config, log) => startOrder(config, log) })
}
