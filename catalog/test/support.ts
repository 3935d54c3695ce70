import { expect } from 'bun:test'
import type { ServiceMetrics } from '@shop/platform/observability/metrics'
import { caller, TEST_SECRET, testHttpOptions, tokenFactory } from '@shop/platform/testing/http'
import { expectProblem } from '@shop/platform/testing/problem'
import { systemClock } from '@shop/kernel/app'
import { catalogApplication } from '../src/app/application.ts'
import { catalogHttp } from '../src/adapters/http/routes.ts'
import { memoryCatalogStore } from '../src/adapters/memory/store.ts'
import type { CatalogStore } from '../src/ports.ts'

export const SECRET = TEST_SECRET
export const tokens = tokenFactory(SECRET)
export const ADMIN = await tokens.valid({ id: crypto.randomUUID(), username: 'the_admin', role: 'ADMIN' })
export const USER = await tokens.valid({ id: crypto.randomUUID(), username: 'a_user', role: 'USER' })

/** The catalog HTTP app on a given store (memory by default) with real JWTs. */
export function catalogTestApp(
  o: { store?: CatalogStore; bodyLimit?: number; metrics?: ServiceMetrics; corsOrigins?: readonly string[] } = {},
) {
  const memory = o.store ? undefined : memoryCatalogStore()
  const store: CatalogStore = o.store ?? memory!
  const core = catalogApplication({ store, clock: systemClock })
  const app = catalogHttp({ ...testHttpOptions('catalog', o), application: core })
  const req = caller(app)
  /** As the admin. */
  const admin = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    req(method, path, { token: ADMIN, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) })
  const created = async (path: string, body: unknown): Promise<any> => {
    const r = await admin('POST', path, body)
    if (r.status !== 201) throw new Error(`POST ${path} failed: ${r.status} ${r.text}`)
    return r.body
  }
  return {
    app,
    core,
    store,
    /** The events committed so far (memory store only). */
    published: memory?.published ?? [],
    req,
    admin,
    category: (name: string, parent_id?: number, extra: Record<string, unknown> = {}) =>
      created('/api/v1/category', { name, ...(parent_id ? { parent_id } : {}), ...extra }),
    product: (name: string, category_id: number, extra: Record<string, unknown> = {}) =>
      created('/api/v1/product', { name, price: '10.00', category_id, ...extra }),
  }
}

/** 401 without a token and with a forged one, 403 for a USER: the admin guard of a write route. */
export async function expectAdminOnly(
  t: ReturnType<typeof catalogTestApp>,
  method: string,
  path: string,
  body?: unknown,
) {
  const opts = body !== undefined ? { body } : {}
  expectProblem(await t.req(method, path, opts), 401, 'UNAUTHENTICATED')
  expectProblem(
    await t.req(method, path, {
      ...opts,
      token: await tokens.signed(
        tokens.claims({ id: crypto.randomUUID(), username: 'x', role: 'ADMIN' }),
        'another-secret-another-secret-1234',
      ),
    }),
    401,
  )
  expectProblem(
    await t.req(method, path, {
      ...opts,
      token: await tokens.valid(
        { id: crypto.randomUUID(), username: 'x', role: 'ADMIN' },
        { exp: Math.floor(Date.now() / 1000) - 5 },
      ),
    }),
    401,
  )
  expectProblem(await t.req(method, path, { ...opts, token: USER }), 403, 'FORBIDDEN')
}

/** Each sort key lists `ascending` (ties broken by id), and its descending form (`-key`) the exact reverse. */
export async function expectSortsBothWays(
  list: (sort: string) => Promise<readonly string[]>,
  ascending: Readonly<Record<string, readonly string[]>>,
): Promise<void> {
  for (const [key, names] of Object.entries(ascending)) {
    expect(await list(key)).toEqual([...names])
    expect(await list(`-${key}`)).toEqual([...names].reverse())
  }
}
