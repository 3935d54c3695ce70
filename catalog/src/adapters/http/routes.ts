import { catalogExamples } from './examples.ts'
import type { Hono } from 'hono'
import { type AppEnv, createHttpApp, type HttpAppOptions } from '@shop/platform/http/app'
import { authenticate, type UserLookup } from '@shop/platform/http/auth'
import type { CatalogApplication } from '../../app/application.ts'
import { categoryRoutes } from './category-routes.ts'
import { productRoutes } from './product-routes.ts'
import { catalogSchemas } from './schemas.ts'

export interface CatalogHttpOptions extends Omit<HttpAppOptions, 'docs'> {
  readonly application: CatalogApplication
  readonly secret: string
  /** The user replica, once there is one: deleted users and lowered roles then count at once. */
  readonly lookup?: UserLookup
  /**
   * Where the docs page's Authorize button logs in (the auth service's login). A bearer token
   * can be pasted instead.
   */
  readonly tokenUrl?: string
}

export function catalogHttp(o: CatalogHttpOptions): Hono<AppEnv> {
  const app = createHttpApp({
    ...o,
    docs: {
      title: 'shop catalog',
      version: '1.0.0',
      description:
        'Products and a category tree of any depth. Reads are public; writes need ' +
        'an ADMIN token from the auth service. Product changes are announced as ' +
        'product.* events; stock is reserved and released in answer to order events.',
      tokenUrl: o.tokenUrl ?? 'http://localhost:8000/api/v1/auth/login',
      tags: [
        {
          name: 'categories',
          description: 'The category tree: any depth, sibling names unique without regard to case',
        },
        {
          name: 'products',
          description: 'Products with their price, stock and category; searched, filtered and paged',
        },
      ],
      schemas: catalogSchemas,
      examples: catalogExamples,
    },
  })
  const admin = authenticate({ secret: o.secret, lookup: o.lookup }, 'ADMIN')
  return app
    .route('/api/v1', categoryRoutes(o.application, admin))
    .route('/api/v1', productRoutes(o.application, admin))
}
