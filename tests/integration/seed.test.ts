import { runToEnd } from '@shop/platform/testing/fixtures'
import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { ADMIN, api, root, type Shop, useServers, withShop } from './harness.ts'

/** `make seed` against real processes: a living shop through the public API, and idempotent. */
const run = await useServers()
let shop: Shop

describe.skipIf(!run)('make seed', () => {
  withShop((s) => (shop = s))
  const seed = async () => {
    return runToEnd(['bun', join(root, 'scripts', 'seed.ts')], {
      env: {
        AUTH_URL: shop.auth.url,
        CATALOG_URL: shop.catalog.url,
        ORDER_URL: shop.order.url,
        ADMIN_USERNAME: ADMIN.username,
        ADMIN_PASSWORD: ADMIN.password,
      },
    })
  }
  test('seeds users, a 3-level tree, products and orders in several states; a second run does nothing', async () => {
    const first = await seed()
    expect(first.err).toBe('')
    expect(first.code).toBe(0)
    expect(first.out).toContain('seed: done')
    const cats = (await api(shop.catalog.url, 'GET', '/api/v1/categories?limit=100')).body
    expect(Math.max(...cats.map((c: any) => c.level))).toBe(2)
    expect((await api(shop.catalog.url, 'GET', '/api/v1/products')).headers.get('X-Total-Count')).toBe('8')
    const login = await api(shop.auth.url, 'POST', '/api/v1/auth/login', {
      body: { username: 'alice', password: 'alice-password' },
    })
    const orders = (await api(shop.order.url, 'GET', '/api/v1/orders', { token: login.body.access_token })).body
    expect(orders.map((o: any) => o.status).sort()).toEqual(['confirmed', 'shipped'])
    const again = await seed()
    expect(again.code).toBe(0)
    expect(again.out).toContain('already seeded')
  }, 60_000)
})
