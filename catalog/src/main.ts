import { join } from 'node:path'
import type { Hono } from 'hono'
import { type Booted, boot } from '@shop/platform/boot'
import { systemClock } from '@shop/kernel/app'
import type { Bus } from '@shop/platform/bus/bus'
import type { AppEnv } from '@shop/platform/http/app'
import type { RootLogger } from '@shop/platform/log'
import { USER_REPLICA_MIGRATIONS } from '@shop/platform/postgres/migrate'
import { traced } from '@shop/platform/observability/tracing'
import { runService } from '@shop/platform/service'
import { type CatalogApplication, catalogApplication } from './app/application.ts'
import { type CatalogConfig, loadCatalogConfig } from './config.ts'
import { catalogSubscriptions } from './adapters/events/consumers.ts'
import { catalogHttp } from './adapters/http/routes.ts'
import { postgresCatalogStore } from './adapters/postgres/store.ts'

export const MIGRATIONS = [join(import.meta.dir, '..', 'migrations'), USER_REPLICA_MIGRATIONS]

export type CatalogService = Booted<{ app: Hono<AppEnv>; core: CatalogApplication }>

/**
 * The composition root of catalog: config in, a wired service out. It publishes product.* and
 * the stock answers through its outbox, and consumes order.placed / order.cancelled (stock) and
 * user.* (its user replica, for token checks).
 */
export function startCatalog(
  config: CatalogConfig,
  log: RootLogger,
  given: { bus?: Bus } = {},
): Promise<CatalogService> {
  return boot({ name: 'catalog', config, log, migrations: MIGRATIONS, bus: given.bus, userReplica: true }, (ctx) => {
    // Each use case in a span when tracing is on (catalog.reserveStock, ...).
    const application = traced(
      'catalog',
      catalogApplication({
        store: postgresCatalogStore(ctx.db.sql, { onEvents: ctx.wake, genericPlans: ctx.db.genericPlans }),
        clock: systemClock,
      }),
    )
    const app = catalogHttp({ ...ctx.http, application, lookup: ctx.users.lookup, tokenUrl: config.AUTH_TOKEN_URL })
    return { app, core: application, subscriptions: catalogSubscriptions(application, ctx.users) }
  })
}

if (import.meta.main) await runService({ name: 'catalog', load: loadCatalogConfig, start: startCatalog })
