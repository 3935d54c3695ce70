import { orderExamples } from './examples.ts'
import type { Hono } from 'hono'
import { type AppEnv, createHttpApp, type HttpAppOptions } from '@shop/platform/http/app'
import { authenticate, type UserLookup } from '@shop/platform/http/auth'
import type { OrderApplication } from '../../app/application.ts'
import { descriptions } from './descriptions.ts'
import { historyRoutes } from './history-routes.ts'
import { orderRoutes } from './order-routes.ts'
import { orderProblemFields, orderSchemas } from './schemas.ts'

export interface OrderHttpOptions extends Omit<HttpAppOptions, 'docs'> {
  readonly application: OrderApplication
  readonly secret: string
  /** The user replica (deleted users, current roles); without it tokens are trusted as issued. */
  readonly lookup?: UserLookup
  /** Where the docs page's Authorize button logs in: the auth service. */
  readonly tokenUrl?: string
}

/** The order service's HTTP app: the shared middleware, health and docs, and its resources mounted under /api/v1. */
export function orderHttp(o: OrderHttpOptions): Hono<AppEnv> {
  const http = createHttpApp({
    ...o,
    docs: {
      title: 'shop order',
      version: '1.0.0',
      description: descriptions.service,
      tokenUrl: o.tokenUrl ?? 'http://localhost:8000/api/v1/auth/login',
      tags: [
        { name: 'orders', description: 'Orders, their status lifecycle and history; the catalog reserves their stock' },
      ],
      schemas: orderSchemas,
      examples: orderExamples,
      problemFields: orderProblemFields,
    },
  })
  const resources = { application: o.application, signedIn: authenticate({ secret: o.secret, lookup: o.lookup }) }
  return http.route('/api/v1', orderRoutes(resources)).route('/api/v1/order', historyRoutes(resources))
}
