import { join } from 'node:path'
import type { Hono } from 'hono'
import { systemClock } from '@shop/kernel/app'
import { type Booted, boot } from '@shop/platform/boot'
import type { Bus } from '@shop/platform/bus/bus'
import type { AppEnv } from '@shop/platform/http/app'
import type { RootLogger } from '@shop/platform/log'
import { USER_REPLICA_MIGRATIONS } from '@shop/platform/postgres/migrate'
import { traced } from '@shop/platform/observability/tracing'
import { runService } from '@shop/platform/service'
import { type OrderConfig, loadOrderConfig } from './config.ts'
import { type OrderApplication, orderApplication } from './app/application.ts'
import { orderSubscriptions } from './adapters/events/consumers.ts'
import { orderHttp } from './adapters/http/routes.ts'
import { observeSaga, orderMetrics } from './adapters/metrics.ts'
import { postgresOrderStore } from './adapters/postgres/store.ts'

export const MIGRATIONS = [join(import.meta.dir, '..', 'migrations'), USER_REPLICA_MIGRATIONS]

export type OrderService = Booted<{ app: Hono<AppEnv>; application: OrderApplication }>

/**
 * The composition root of order: config in, a wired service out. It consumes product.* (its
 * product replica), stock.* (the saga's answers) and user.* (its user replica; a deletion cancels
 * the user's open orders), and publishes order.placed and order.cancelled through its outbox.
 */
export function startOrder(config: OrderConfig, log: RootLogger, given: { bus?: Bus } = {}): Promise<OrderService> {
  return boot({ name: 'order', config, log, migrations: MIGRATIONS, bus: given.bus, userReplica: true }, (ctx) => {
    const store = postgresOrderStore(ctx.db.sql, { onEvents: ctx.wake })
    // Each use case in a span when tracing is on (order.placeOrder, ...); the saga's end timed when metrics are on.
    const core = traced('order', orderApplication({ store, clock: systemClock }))
    const application = observeSaga(core, store.orders, systemClock, ctx.metrics && orderMetrics(ctx.metrics))
    const app = orderHttp({ ...ctx.http, application, lookup: ctx.users.lookup, tokenUrl: config.AUTH_TOKEN_URL })
    const policy = {
      timeoutSeconds: config.ORDER_PENDING_TIMEOUT_SECONDS,
      maxAttempts: config.ORDER_PENDING_MAX_ATTEMPTS,
    }
    // Looked for a few times per timeout (at most every 5 s): a request is sent again soon after its time.
    const stalled = {
      name: 'retrying unanswered stock requests',
      everyMs: Math.min(5000, Math.max(250, (policy.timeoutSeconds * 1000) / 4)),
      run: async () => void (await application.jobs.retryStalled(policy)),
    }
    return { app, application, subscriptions: orderSubscriptions(application, ctx.users), jobs: [stalled] }
  })
}

if (import.meta.main) await runService({ name: 'order', load: loadOrderConfig, start: startOrder })
