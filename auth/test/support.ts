import type { TrustProxy } from '@shop/platform/http/client-address'
import type { Logger } from '@shop/platform/log'
import type { ServiceMetrics } from '@shop/platform/observability/metrics'
import { caller, TEST_SECRET, testHttpOptions, tokenFactory } from '@shop/platform/testing/http'
import { systemClock } from '@shop/kernel/app'
import { authApplication } from '../src/app/application.ts'
import { authHttp } from '../src/adapters/http/routes.ts'
import { authMetrics, countLogins } from '../src/adapters/metrics.ts'
import { memoryAuthStore } from '../src/adapters/memory/store.ts'
import { bcryptHasher, jwtTokens } from '../src/adapters/security.ts'
import type { AuthStore } from '../src/ports.ts'

export const SECRET = TEST_SECRET

/** The auth HTTP app on a given store (memory by default), real bcrypt (cost 4) and real JWTs. */
export interface AuthTestOptions {
  readonly store?: AuthStore
  readonly maxFailures?: number
  readonly maxPerAddress?: number
  readonly maxPerAccount?: number
  /** Registrations per client address (default: many, so suites registering users are not limited). */
  readonly maxRegistrations?: number
  readonly bodyLimit?: number
  readonly trustProxy?: TrustProxy
  readonly corsOrigins?: readonly string[]
  readonly log?: Logger
  /** Metrics on (as boot does with METRICS_ENABLED): counted, and served at GET /metrics. */
  readonly metrics?: ServiceMetrics
}

export function authTestApp(o: AuthTestOptions = {}) {
  const store = o.store ?? memoryAuthStore()
  const core = authApplication({
    store,
    hasher: bcryptHasher(4),
    tokens: jwtTokens(SECRET, 1800),
    clock: systemClock,
    ids: { uuid: () => crypto.randomUUID() },
    throttle: {
      login: {
        perAccountAndAddress: { maxFailures: o.maxFailures ?? 5, windowSeconds: 900 },
        perAddress: { maxFailures: o.maxPerAddress ?? 20, windowSeconds: 900 },
        perAccount: { maxFailures: o.maxPerAccount ?? 50, windowSeconds: 900 },
      },
      registrations: { maxFailures: o.maxRegistrations ?? 1_000_000, windowSeconds: 3600 },
    },
  })
  const application = countLogins(core, o.metrics && authMetrics(o.metrics))
  const app = authHttp({ ...testHttpOptions('auth', o), application, trustProxy: o.trustProxy ?? false })
  const req = caller(app)
  let n = 0
  /** A JSON login, from the peer `address` when given. */
  const logIn = (username: string, password: string, address?: string) =>
    req('POST', '/api/v1/auth/login', { body: { username, password }, ...(address ? { address } : {}) })
  return {
    app,
    application,
    store,
    req,
    tokens: tokenFactory(SECRET),
    logIn,
    /** Registers a fresh user (optionally promoted to admin) and logs in. */
    async user(role: 'USER' | 'ADMIN' = 'USER', name = `u${++n}_${crypto.randomUUID().slice(0, 8)}`) {
      const password = 'password-123'
      const reg = await req('POST', '/api/v1/auth/register', {
        body: { username: name, email: `${name}@example.com`, password },
      })
      if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${reg.text}`)
      if (role === 'ADMIN') await application.commands.changeRole(reg.body.id, 'ADMIN')
      const login = await logIn(name, password)
      return { id: reg.body.id as string, username: name, password, role, token: login.body.access_token as string }
    },
  }
}
