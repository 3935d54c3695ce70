/**
 * A whole shop story through @shop/client against real servers (the three services in this
 * process on free ports, embedded PGlite, the in-memory bus): register, log in, build a 3-level
 * tree, add products, page through a subtree by its Link headers, place an order, wait until it
 * is confirmed, cancel it, read its history. Strict tsc, and no cast anywhere in this file (the
 * last test reads it to make sure): the generated types carry it all.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eventually } from '@shop/platform/testing/until'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TEST_EVENT_KEYS } from '@shop/platform/testing/event-keys'
import { MemoryBus } from '@shop/platform/bus/memory'
import { createLogger } from '@shop/platform/log'
import { serve } from '@shop/platform/service'
import { loadAuthConfig } from '@shop/auth/config'
import { startAuth } from '@shop/auth/main'
import { loadCatalogConfig } from '@shop/catalog/config'
import { startCatalog } from '@shop/catalog/main'
import { loadOrderConfig } from '@shop/order/config'
import { startOrder } from '@shop/order/main'
import { type Order, type ShopClient, createShopClient, pageInfo } from '../src/index.ts'

const SECRET = 'client-story-secret-0123456789abcdef0123'
const ADMIN = { username: 'story_admin', email: 'story_admin@example.com', password: 'admin-password-1' }

let dataDir: string
let bus: MemoryBus
const stops: (() => Promise<void>)[] = []
let urls: { auth: string; catalog: string; order: string }

// Errors only, to the test's output: a story that fails shows why.
const log = createLogger({ service: 'client-story', level: 'error' })

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'shop-client-story-'))
  bus = new MemoryBus(TEST_EVENT_KEYS.keyring, log)
  const env = {
    JWT_SECRET: SECRET,
    EVENT_PUBLIC_KEYS: TEST_EVENT_KEYS.publicKeys,
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    BCRYPT_COST: '4',
    LOG_LEVEL: 'error',
  }
  const authConfig = loadAuthConfig({
    ...env,
    EVENT_SIGNING_KEY: TEST_EVENT_KEYS.signingKeys.auth,
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
  })
  const catalogConfig = loadCatalogConfig({ ...env, EVENT_SIGNING_KEY: TEST_EVENT_KEYS.signingKeys.catalog })
  const orderConfig = loadOrderConfig({ ...env, EVENT_SIGNING_KEY: TEST_EVENT_KEYS.signingKeys.order })
  const [auth, catalog, order] = await Promise.all([
    startAuth(authConfig, log, { bus }),
    startCatalog(catalogConfig, log, { bus }),
    startOrder(orderConfig, log, { bus }),
  ])
  const servedAuth = serve('auth', auth, authConfig, log)
  const servedCatalog = serve('catalog', catalog, catalogConfig, log)
  const servedOrder = serve('order', order, orderConfig, log)
  stops.push(
    () => servedAuth.close(),
    () => servedCatalog.close(),
    () => servedOrder.close(),
  )
  urls = { auth: servedAuth.url, catalog: servedCatalog.url, order: servedOrder.url }
}, 60_000)

afterAll(async () => {
  for (const stop of stops) await stop().catch(() => {})
  await bus?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

/** The body of a 2xx answer; anything else fails with the problem the service sent. */
function ok<T>(r: { data?: T; error?: unknown; response: Response }): T {
  if (r.data === undefined) throw new Error(`${r.response.status} from ${r.response.url}: ${JSON.stringify(r.error)}`)
  return r.data
}

describe('a whole shop story through @shop/client', () => {
  let admin: ShopClient
  let user: ShopClient

  test('register and log in (the admin too)', async () => {
    const anonymous = createShopClient(urls)
    const name = `story_${crypto.randomUUID().slice(0, 8)}`
    const registered = ok(
      await anonymous.auth.POST('/api/v1/auth/register', {
        body: { username: name, email: `${name}@example.com`, password: 'password-123', full_name: 'Story Teller' },
      }),
    )
    expect(registered.role).toBe('USER')
    expect(registered.full_name).toBe('Story Teller')
    const token = ok(
      await anonymous.auth.POST('/api/v1/auth/login', { body: { username: name, password: 'password-123' } }),
    )
    expect(token.token_type).toBe('bearer')
    expect(token.expires_in).toBeGreaterThan(0)
    user = createShopClient(urls, { token: token.access_token })
    const me = ok(await user.auth.GET('/api/v1/users/me'))
    expect(me.id).toBe(registered.id)
    const wrong = await anonymous.auth.POST('/api/v1/auth/login', {
      body: { username: name, password: 'not-the-password' },
    })
    expect(wrong.response.status).toBe(401)
    expect(wrong.error?.code).toBe('INVALID_CREDENTIALS')
    admin = createShopClient(urls)
    admin.signIn(
      ok(await admin.auth.POST('/api/v1/auth/login', { body: { username: ADMIN.username, password: ADMIN.password } }))
        .access_token,
    )
  })

  let root = 0
  const productIds: number[] = []

  test('a 3-level tree and products on every level', async () => {
    const top = ok(await admin.catalog.POST('/api/v1/category', { body: { name: 'Story' } }))
    const middle = ok(await admin.catalog.POST('/api/v1/category', { body: { name: 'Lamps', parent_id: top.id } }))
    const bottom = ok(
      await admin.catalog.POST('/api/v1/category', {
        body: { name: 'Desk lamps', parent_id: middle.id, description: 'small ones' },
      }),
    )
    expect([top.level, middle.level, bottom.level]).toEqual([0, 1, 2])
    const withPath = ok(await admin.catalog.GET('/api/v1/categories/{id}', { params: { path: { id: bottom.id } } }))
    expect(withPath.path.map((p) => p.name)).toEqual(['Story', 'Lamps'])
    root = top.id
    const specs = [
      { name: 'Story map', price: '5.00', category_id: top.id, stock: 3 },
      { name: 'Floor lamp', price: 49.9, category_id: middle.id, stock: 2 },
      { name: 'Desk lamp', price: '19.99', category_id: bottom.id, stock: 10 },
      { name: 'Clamp lamp', price: '12.50', category_id: bottom.id, stock: 1 },
      { name: 'Bulb', price: '1.25', category_id: bottom.id },
    ]
    for (const body of specs) {
      const p = ok(await admin.catalog.POST('/api/v1/product', { body }))
      expect(p.category.id).toBe(body.category_id)
      productIds.push(p.id)
    }
    const tree = ok(
      await user.catalog.GET('/api/v1/categories', { params: { query: { parent_id: root, tree: true } } }),
    )
    expect(tree.map((n) => n.name)).toEqual(['Lamps'])
    // The tree's own operation is typed as nodes: its children are walked with no cast.
    const nodes = ok(await user.catalog.GET('/api/v1/categories/tree', { params: { query: { parent_id: root } } }))
    expect(nodes.flatMap((n) => [n.name, ...n.children.flatMap((c) => [c.name, c.children.length])])).toEqual([
      'Lamps',
      'Desk lamps',
      0,
    ])
  })

  test('page through the subtree by its headers', async () => {
    const seen: number[] = []
    let query: { limit: number; offset: number } | undefined = { limit: 2, offset: 0 }
    let pages = 0
    while (query) {
      const r = await user.catalog.GET('/api/v1/products_with_category/{id}', { params: { path: { id: root }, query } })
      const page = ok(r)
      const info = pageInfo(r.response)
      expect(info.total).toBe(5)
      expect(page.length).toBe(Math.min(2, 5 - query.offset))
      if (query.offset > 0) expect(info.prev).toBeDefined()
      seen.push(...page.map((p) => p.id))
      query = info.next
      pages++
    }
    expect(pages).toBe(3)
    expect(seen.sort((a, b) => a - b)).toEqual([...productIds].sort((a, b) => a - b))
    const own = ok(
      await user.catalog.GET('/api/v1/products_with_category/{id}', {
        params: { path: { id: root }, query: { include_subcategories: false } },
      }),
    )
    expect(own.map((p) => p.name)).toEqual(['Story map'])
  })

  let order: Order | undefined

  test('place an order and wait until the catalog has reserved it', async () => {
    const desk = productIds[2]!
    const clamp = productIds[3]!
    // The order service learns of new products from the catalog's events: retry until it knows them.
    const placed = await eventually(async () => {
      const r = await user.order.POST('/api/v1/order', {
        body: {
          items: [
            { product_id: desk, quantity: 2 },
            { product_id: clamp, quantity: 1 },
          ],
          shipping_address: 'Story street 1',
        },
        headers: { 'Idempotency-Key': 'story-1' },
      })
      if (r.error?.code === 'UNKNOWN_PRODUCTS') return undefined
      return ok(r)
    }, 'the order to be accepted')
    expect(placed.status).toBe('pending')
    expect(placed.total).toBe('52.48')
    order = await eventually(async () => {
      const o = ok(await user.order.GET('/api/v1/order/{id}', { params: { path: { id: placed.id } } }))
      return o.status === 'confirmed' ? o : undefined
    }, 'confirmed')
    const desks = ok(await user.catalog.GET('/api/v1/product/{id}', { params: { path: { id: desk } } }))
    expect(desks.stock).toBe(8)
    const mine = await user.order.GET('/api/v1/orders', { params: { query: { status: 'confirmed' } } })
    expect(ok(mine).map((o) => o.id)).toEqual([placed.id])
    expect(pageInfo(mine.response).total).toBe(1)
  })

  test('cancel it: the stock comes back; the history tells the whole story', async () => {
    if (!order) throw new Error('no order from the previous step')
    const id = order.id
    const cancelled = ok(
      await user.order.PUT('/api/v1/update_order/{id}', { params: { path: { id } }, body: { status: 'cancelled' } }),
    )
    expect(cancelled.status).toBe('cancelled')
    await eventually(async () => {
      const p = ok(await user.catalog.GET('/api/v1/product/{id}', { params: { path: { id: productIds[2]! } } }))
      return p.stock === 10 ? p : undefined
    }, 'the stock back')
    const history = ok(await user.order.GET('/api/v1/order/{id}/history', { params: { path: { id } } }))
    expect(history.map((h) => [h.from, h.to, h.actor])).toEqual([
      [null, 'pending', 'owner'],
      ['pending', 'confirmed', 'system'],
      ['confirmed', 'cancelled', 'owner'],
    ])
    const again = await user.order.PUT('/api/v1/update_order/{id}', {
      params: { path: { id } },
      body: { status: 'cancelled' },
    })
    expect(again.response.status).toBe(409)
    expect(again.error?.code).toBe('TRANSITION_NOT_ALLOWED')
    expect([again.error?.from, again.error?.to]).toEqual(['cancelled', 'cancelled'])
  })

  test('this file has no cast: the generated types carry the story', () => {
    const source = readFileSync(import.meta.path, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '')
    // `x as T`, `x as const`, and the old `<T>x` form (a generic function's `<T>(` is no cast).
    expect(source.match(/[\w)\]}]\s+as\s+[\w{[(]|(?:[=(,:?]|return)\s*<[A-Z]\w*>/g) ?? []).toEqual([])
  })
})
