import { join } from 'node:path'
import { type Service, boot } from '@shop/platform/boot'
import type { Bus } from '@shop/platform/bus/bus'
import { systemClock } from '@shop/kernel/app'
import type { RootLogger } from '@shop/platform/log'
import { traced } from '@shop/platform/observability/tracing'
import { runService } from '@shop/platform/service'
import { type AuthApplication, authApplication } from './app/application.ts'
import { type AuthConfig, loadAuthConfig } from './config.ts'
import { authHttp } from './adapters/http/routes.ts'
import { authMetrics, countLogins } from './adapters/metrics.ts'
import { postgresAuthStore } from './adapters/postgres/store.ts'
import { bcryptHasher, jwtTokens } from './adapters/security.ts'
import { knownSince } from './domain/throttle.ts'

export const MIGRATIONS = join(import.meta.dir, '..', 'migrations')

export type AuthService = Service<AuthApplication>

/**
 * The composition root of auth: config in, a wired service out. `bus` is given when several
 * services share one (embedded mode); otherwise it comes from AMQP_URL. auth publishes user.*
 * events and consumes none.
 */
export function startAuth(config: AuthConfig, log: RootLogger, given: { bus?: Bus } = {}): Promise<AuthService> {
  return boot({ name: 'auth', config, log, migrations: MIGRATIONS, bus: given.bus }, async (ctx) => {
    // Each use case in a span (when tracing), logins counted by outcome (when metrics are on).
    const store = postgresAuthStore(ctx.db.sql, { onEvents: ctx.wake })
    const core = authApplication({
      store,
      hasher: bcryptHasher(config.BCRYPT_COST),
      tokens: jwtTokens(config.JWT_SECRET, config.JWT_TTL_SECONDS),
      clock: systemClock,
      ids: { uuid: () => crypto.randomUUID() },
      throttle: {
        login: {
          perAccountAndAddress: { maxFailures: config.LOGIN_MAX_FAILURES, windowSeconds: config.LOGIN_WINDOW_SECONDS },
          perAddress: {
            maxFailures: config.LOGIN_MAX_FAILURES_PER_ADDRESS,
            windowSeconds: config.LOGIN_WINDOW_SECONDS,
          },
          perAccount: {
            maxFailures: config.LOGIN_MAX_FAILURES_PER_ACCOUNT,
            windowSeconds: config.LOGIN_WINDOW_SECONDS,
          },
        },
        registrations: { maxFailures: config.REGISTER_MAX_PER_ADDRESS, windowSeconds: config.REGISTER_WINDOW_SECONDS },
      },
    })
    const application = countLogins(traced('auth', core), ctx.metrics && authMetrics(ctx.metrics))
    if (config.ADMIN_USERNAME && config.ADMIN_EMAIL && config.ADMIN_PASSWORD) {
      const r = await application.commands.ensureAdmin({
        username: config.ADMIN_USERNAME,
        email: config.ADMIN_EMAIL,
        password: config.ADMIN_PASSWORD,
      })
      if (!r.ok) throw new Error(`ADMIN_*: cannot create the admin: ${r.error.type}`)
      log.info('admin ensured', { username: r.value.user.username, action: r.value.action })
    }
    const app = authHttp({ ...ctx.http, application, trustProxy: config.TRUST_PROXY })
    // Throttle rows past their window and addresses unknown for 30 days go, once a minute.
    const pruneThrottle = {
      name: 'throttle housekeeping',
      everyMs: 60_000,
      async run() {
        const now = systemClock.now()
        const pruned = await store.throttle.prune(now, knownSince(now))
        if (pruned) log.debug('throttle housekeeping: pruned', { pruned })
      },
    }
    return { app, application, jobs: [pruneThrottle] }
  })
}

if (import.meta.main) await runService({ name: 'auth', load: loadAuthConfig, start: startAuth })
