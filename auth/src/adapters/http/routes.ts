import type { TrustProxy } from '@shop/platform/http/client-address'
import { authExamples } from './examples.ts'
import type { Hono } from 'hono'
import { type AppEnv, createHttpApp, type HttpAppOptions } from '@shop/platform/http/app'
import type { AuthApplication } from '../../app/application.ts'
import { authRoutes } from './auth-routes.ts'
import { authSchemas } from './schemas.ts'
import { usersRoutes } from './users-routes.ts'

export interface AuthHttpOptions extends Omit<HttpAppOptions, 'docs'> {
  readonly application: AuthApplication
  /** The JWT signing secret, shared with every shop service. */
  readonly secret: string
  /** Take the client address from X-Forwarded-For, its last hop (only behind a proxy you trust, which appends it). */
  readonly trustProxy: TrustProxy
}

/** auth's HTTP API: the common service app with the auth and users resources mounted. */
export function authHttp(o: AuthHttpOptions): Hono<AppEnv> {
  const app = createHttpApp({
    ...o,
    docs: {
      title: 'shop auth',
      version: '1.0.0',
      description:
        'Users, login, JWT and roles. Tokens are HS256 JWTs (iss ' +
        '"shop-auth", aud "shop") accepted by every shop service.',
      tokenUrl: '/api/v1/auth/login',
      tags: [
        { name: 'auth', description: 'Registering, logging in (a JWT for every shop service) and checking a token' },
        { name: 'users', description: "The signed-in user's own account, and the admin's work on everyone's" },
      ],
      schemas: authSchemas,
      examples: authExamples,
    },
  })
  app.route('/api/v1/auth', authRoutes(o.application, o.secret, o.trustProxy))
  app.route('/api/v1/users', usersRoutes(o.application, o.secret))
  return app
}
