import { describe, expect, test } from 'bun:test'
import postgres from 'postgres'
import { ADMIN, api, dbUrl, eventually, type Shop, useServers, withShop } from './harness.ts'

/**
 * STATEMENT_TIMEOUT_MS on the real catalog process: a request whose statement runs past it (here:
 * it waits for a lock this test holds on the categories) is cancelled by PostgreSQL and answered
 * 503 problem+json STATEMENT_TIMEOUT, a read and a write alike; the service goes on serving.
 */
const run = await useServers()

describe.skipIf(!run)('statement timeout (real processes)', () => {
  let shop: Shop
  // 2 s: long enough that the catalog's own statements (its start, its consumers, the setup below) never
  // reach it on a loaded machine; the two blocked requests reach it at any value.
  withShop((s) => (shop = s), { env: { catalog: { STATEMENT_TIMEOUT_MS: '2000' } } })

  test('a statement past STATEMENT_TIMEOUT_MS: 503 STATEMENT_TIMEOUT; then served again', async () => {
    const login = await api(shop.auth.url, 'POST', '/api/v1/auth/login', {
      body: { username: ADMIN.username, password: ADMIN.password },
    })
    const token = login.body.access_token as string
    // the admin's user reaches the catalog by event: wait until it is known there
    const created = await eventually(async () => {
      const r = await api(shop.catalog.url, 'POST', '/api/v1/category', { token, body: { name: 'Before' } })
      return r.status !== 401 && r
    }, 'the admin known to the catalog')
    expect(created.status).toBe(201)

    const sql = postgres(dbUrl('catalog'), { max: 1, onnotice: () => {} })
    try {
      let held!: () => void
      const release = new Promise<void>((r) => (held = r))
      let locked!: () => void
      const isLocked = new Promise<void>((r) => (locked = r))
      const holder = sql.begin(async (tx) => {
        await tx`lock table categories in access exclusive mode`
        locked()
        await release
      })
      await isLocked
      const [read, write] = await Promise.all([
        api(shop.catalog.url, 'GET', '/api/v1/categories'),
        api(shop.catalog.url, 'POST', '/api/v1/category', { token, body: { name: 'During' } }),
      ])
      held()
      await holder
      for (const r of [read, write]) {
        expect(r.status).toBe(503)
        expect(r.headers.get('Content-Type')).toContain('application/problem+json')
        expect(r.body.code).toBe('STATEMENT_TIMEOUT')
        expect(r.body.detail).toContain('STATEMENT_TIMEOUT_MS')
        expect(r.headers.get('Retry-After')).toBe('1')
      }
    } finally {
      await sql.end()
    }
    const after = await api(shop.catalog.url, 'GET', '/api/v1/categories')
    expect(after.status).toBe(200)
    expect(after.body.map((c: { name: string }) => c.name)).toEqual(['Before'])
  }, 60_000)
})
