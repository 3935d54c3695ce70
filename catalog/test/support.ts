import { expect } from 'bun:test'
import { silentLogger } from '@shop/shared-kernel/log'
import type { ServiceMetrics } from '@shop/shared-kernel/observability/metrics'
import { call, type CallOptions, type Reply, tokenFactory } from '@shop/shared-kernel/testing/http'
import { systemClock } from '@shop/shared-kernel/app'
import { catalogApplication } from '../src/app/application.ts'
import { catalogHttp } from '../src/adapters/http/routes.ts'
import { memoryCatalogStore } from '../src/adapters/memory/store.ts'
import type { CatalogStore } from '../src/ports.ts'

export const SECRET = 'test-secret-that-is-at-least-32-bytes-long'
export const tokens = tokenFactory(SECRET)
export const ADMIN = await tokens.valid({ id: crypto.randomUUID(), username: 'the_admin', role: 'ADMIN' })
export const USER = await tokens.valid({ id: crypto.randomUUID(), username: 'a_user', role: 'USER' })

/** The catalog HTTP app on a given store (memory by default) with real JWTs. */
export function catalogTestApp(o: { store?: CatalogStore; bodyLimit?: number; metrics?: ServiceMetrics } = {}) {
  const memory = o.store ? undefined : memoryCatalogStore()
  const store: CatalogStore = o.store ?? memory!
  const core = catalogApplication({ store, clock: systemClock })
  const app = catalogHttp({ application: core, secret: SECRET, service: 'catalog', log: silentLogger, bodyLimit: o.bodyLimit ?? 1024 * 1024, ready: {}, metrics: o.metrics })
  const req = (method: string, path: string, opts?: CallOptions) => call(app, method, path, opts)
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
    category: (name: string, parent_id?: number, extra: Record<string, unknown> = {}) => created('/api/v1/category', { name, ...(parent_id ? { parent_id } : {}), ...extra }),
    product: (name: string, category_id: number, extra: Record<string, unknown> = {}) => created('/api/v1/product', { name, price: '10.00', category_id, ...extra }),
  }
}

export const expectProblem = (r: Reply, status: number, code?: string) => {
  expect(r.status).toBe(status)
  expect(r.headers.get('Content-Type')).toContain('application/problem+json')
  expect(r.body.status).toBe(status)
  expect(r.body.type).toBe('about:blank')
  expect(typeof r.body.title).toBe('string')
  expect(typeof r.body.detail).toBe('string')
  if (code) expect(r.body.code).toBe(code)
  if (status === 422) expect(Array.isArray(r.body.errors)).toBe(true)
  if (status === 401) expect(r.headers.get('WWW-Authenticate')).toBe('Bearer')
}

/** 401 without a token and with a forged one, 403 for a USER: the admin guard of a write route. */
export async function expectAdminOnly(t: ReturnType<typeof catalogTestApp>, method: string, path: string, body?: unknown) {
  const opts = body !== undefined ? { body } : {}
  expectProblem(await t.req(method, path, opts), 401, 'UNAUTHENTICATED')
  expectProblem(await t.req(method, path, { ...opts, token: await tokens.signed(tokens.claims({ id: crypto.randomUUID(), username: 'x', role: 'ADMIN' }), 'another-secret-another-secret-1234') }), 401)
  expectProblem(await t.req(method, path, { ...opts, token: await tokens.valid({ id: crypto.randomUUID(), username: 'x', role: 'ADMIN' }, { exp: Math.floor(Date.now() / 1000) - 5 }) }), 401)
  expectProblem(await t.req(method, path, { ...opts, token: USER }), 403, 'FORBIDDEN')
}
