import { join } from 'node:path'
import type { Hono } from 'hono'
import type { AppEnv } from '@shop/shared-kernel/http/app'
import type { RootLogger } from '@shop/shared-kernel/log'
import { openDatabase } from '@shop/shared-kernel/postgres/connect'
import { migrate } from '@shop/shared-kernel/postgres/migrate'
import { runService } from '@shop/shared-kernel/service'
import { makeAuth } from './auth.ts'
import { type AuthConfig, loadAuthConfig } from './config.ts'
import { authHttp } from './adapters/http/routes.ts'
import { postgresAuthStore } from './adapters/postgres/store.ts'
import { bcryptHasher, jwtTokens } from './adapters/security.ts'

export const MIGRATIONS = join(import.meta.dir, '..', 'migrations')

export interface AuthService {
  readonly app: Hono<AppEnv>
  readonly core: ReturnType<typeof makeAuth>
  /** Stops background work and closes the database (the HTTP server is the caller's). */
  stop(): Promise<void>
}

/** The composition root of auth: config in, a wired service out. */
export async function startAuth(config: AuthConfig, log: RootLogger): Promise<AuthService> {
  const db = await openDatabase({
    url: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    name: 'auth',
    poolMax: config.DATABASE_POOL_MAX,
    log,
    createIfMissing: true,
  })
  try {
    await migrate(db.sql, MIGRATIONS, log)
    const store = postgresAuthStore(db.sql)
    const core = makeAuth({
      store,
      hasher: bcryptHasher(config.BCRYPT_COST),
      tokens: jwtTokens(config.JWT_SECRET, config.JWT_TTL_SECONDS),
      clock: { now: () => new Date() },
      ids: { uuid: () => crypto.randomUUID() },
      throttle: {
        perUsername: { maxFailures: config.LOGIN_MAX_FAILURES, windowSeconds: config.LOGIN_WINDOW_SECONDS },
        perAddress: { maxFailures: config.LOGIN_MAX_FAILURES_PER_ADDRESS, windowSeconds: config.LOGIN_WINDOW_SECONDS },
      },
    })
    if (config.ADMIN_USERNAME && config.ADMIN_EMAIL && config.ADMIN_PASSWORD) {
      const r = await core.ensureAdmin({ username: config.ADMIN_USERNAME, email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD })
      if (!r.ok) throw new Error(`ADMIN_*: cannot create the admin: ${r.error.type}`)
      log.info('admin ensured', { username: r.value.user.username, action: r.value.action })
    }
    const app = authHttp({
      auth: core,
      secret: config.JWT_SECRET,
      trustProxy: config.TRUST_PROXY,
      service: 'auth',
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
  await runService({ name: 'auth', load: loadAuthConfig, start: startAuth })
}
