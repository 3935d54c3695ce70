import { join } from 'node:path'
import type { Hono } from 'hono'
import type { AppEnv } from '@shop/shared-kernel/http/app'
import type { RootLogger } from '@shop/shared-kernel/log'
import { openDatabase } from '@shop/shared-kernel/postgres/connect'
import { migrate } from '@shop/shared-kernel/postgres/migrate'
import { runService } from '@shop/shared-kernel/service'
import { makeCatalog } from './catalog.ts'
import { type CatalogConfig, loadCatalogConfig } from './config.ts'
import { catalogHttp } from './adapters/http/routes.ts'
import { postgresCatalogStore } from './adapters/postgres/store.ts'

export const MIGRATIONS = join(import.meta.dir, '..', 'migrations')

export interface CatalogService {
  readonly app: Hono<AppEnv>
  readonly core: ReturnType<typeof makeCatalog>
  /** Stops background work and closes the database (the HTTP server is the caller's). */
  stop(): Promise<void>
}

/** The composition root of catalog: config in, a wired service out. */
export async function startCatalog(config: CatalogConfig, log: RootLogger): Promise<CatalogService> {
  const db = await openDatabase({
    url: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    name: 'catalog',
    poolMax: config.DATABASE_POOL_MAX,
    log,
    createIfMissing: true,
  })
  try {
    await migrate(db.sql, MIGRATIONS, log)
    const store = postgresCatalogStore(db.sql)
    const core = makeCatalog({ store, clock: { now: () => new Date() } })
    const app = catalogHttp({
      catalog: core,
      secret: config.JWT_SECRET,
      service: 'catalog',
      log,
      bodyLimit: config.BODY_LIMIT_BYTES,
      corsOrigins: config.CORS_ORIGINS?.split(',').map((s) => s.trim()).filter(Boolean) ?? [],
      ready: { database: db.ping },
    })
    return { app, core, stop: () => db.close() }
  } catch (e) {
    await db.close()
    throw e
  }
}

if (import.meta.main) {
  await runService({ name: 'catalog', load: loadCatalogConfig, start: startCatalog })
}
