import { TEST_EVENT_KEYS } from '@shop/platform/testing/event-keys'
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import postgres from 'postgres'
import { ADMIN, api, consumedMark, dbUrl, eventually, publishAs, type Shop, startShop, useServers } from './harness.ts'

/** The stock saga on real processes: no overselling under concurrency, releases exactly once. */
const run = await useServers()
let shop: Shop

describe.skipIf(!run)('stock saga on real processes', () => {
  let admin = ''
  let users: { id: string; token: string }[] = []
  let category = 0

  beforeAll(async () => {
    shop = await startShop()
    const login = async (username: string, password: string) =>
      (await api(shop.auth.url, 'POST', '/api/v1/auth/login', { body: { username, password } })).body
        .access_token as string
    admin = await login(ADMIN.username, ADMIN.password)
    users = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const r = await api(shop.auth.url, 'POST', '/api/v1/auth/register', {
          body: { username: `buyer${i}`, email: `buyer${i}@example.com`, password: 'buyer-password' },
        })
        return { id: r.body.id as string, token: await login(`buyer${i}`, 'buyer-password') }
      }),
    )
    category = (await api(shop.catalog.url, 'POST', '/api/v1/category', { token: admin, body: { name: 'Saga' } })).body
      .id
  }, 90_000)
  afterAll(async () => {
    await shop?.stop()
  })

  const product = async (stock: number) => {
    const p = await api(shop.catalog.url, 'POST', '/api/v1/product', {
      token: admin,
      body: { name: `P${stock}-${Date.now()}`, price: '10.00', stock, category_id: category },
    })
    // wait until the order service's replica has it: a probe order, confirmed, then cancelled;
    // only once its unit is back is the stock what the test set
    const probe = await eventually(async () => {
      const r = await api(shop.order.url, 'POST', '/api/v1/order', {
        token: admin,
        body: { items: [{ product_id: p.body.id, quantity: 1 }] },
      })
      return r.status === 201 ? r.body : undefined
    }, 'product in the order replica')
    await eventually(async () => (await statusOf(probe.id, admin)) === 'confirmed', 'probe confirmed')
    expect(
      (
        await api(shop.order.url, 'PUT', `/api/v1/update_order/${probe.id}`, {
          token: admin,
          body: { status: 'cancelled' },
        })
      ).status,
    ).toBe(200)
    await eventually(
      async () => (await api(shop.catalog.url, 'GET', `/api/v1/product/${p.body.id}`)).body.stock === stock,
      'probe released',
    )
    return p.body.id as number
  }
  const statusOf = async (id: number, token: string) =>
    (await api(shop.order.url, 'GET', `/api/v1/order/${id}`, { token })).body.status as string
  /** `quantity` units of `pid` ordered by the user with `token`. */
  const place = (token: string, pid: number, quantity: number) =>
    api(shop.order.url, 'POST', '/api/v1/order', { token, body: { items: [{ product_id: pid, quantity }] } })
  /** The statuses of `placed` (each order the `i`-th user's) once none is pending. */
  const answered = (placed: { body: { id: number } }[], what: string) =>
    eventually(
      async () => {
        const s = await Promise.all(placed.map((r, i) => statusOf(r.body.id, users[i]!.token)))
        return s.every((x) => x !== 'pending') ? s : undefined
      },
      what,
      30_000,
    )

  test('30 concurrent orders of 1 unit for a product with 9 in stock: exactly 9 confirmed, stock 0', async () => {
    const pid = await product(9)
    const placed = await Promise.all(users.map((u) => place(u.token, pid, 1)))
    expect(placed.every((r) => r.status === 201)).toBe(true)
    const final = await answered(placed, 'every order answered')
    expect(final.filter((s) => s === 'confirmed')).toHaveLength(9)
    expect(final.filter((s) => s === 'rejected')).toHaveLength(21)
    expect((await api(shop.catalog.url, 'GET', `/api/v1/product/${pid}`)).body.stock).toBe(0)
  }, 60_000)

  test('a cancel releases the stock once, ' +
    'even when its event is delivered twice (and a second cancel event comes)', async () => {
    const pid = await product(5)
    const u = users[0]!
    const o = await place(u.token, pid, 3)
    await eventually(async () => (await statusOf(o.body.id, u.token)) === 'confirmed', 'confirmed')
    expect((await api(shop.catalog.url, 'GET', `/api/v1/product/${pid}`)).body.stock).toBe(2)
    expect(
      (
        await api(shop.order.url, 'PUT', `/api/v1/update_order/${o.body.id}`, {
          token: u.token,
          body: { status: 'cancelled' },
        })
      ).status,
    ).toBe(200)
    await eventually(
      async () => (await api(shop.catalog.url, 'GET', `/api/v1/product/${pid}`)).body.stock === 5,
      'released',
    )
    // replay the very order.cancelled envelope from the order outbox, and a fresh one for the same order
    const sql = postgres(dbUrl('order'), { max: 1, onnotice: () => {} })
    const [row] = await sql<{ envelope: any }[]>`select envelope from outbox where type = 'order.cancelled'
      and (envelope->'data'->>'order_id')::bigint = ${o.body.id}`
    await sql.end()
    expect(row).toBeDefined()
    // as the order service's own broker user (the catalog applies order.* only from it)
    const signer = TEST_EVENT_KEYS.signers.order
    const taken = await consumedMark(shop.catalog, 'catalog.orders')
    await publishAs('order', 'order.cancelled', JSON.stringify(row!.envelope), { signer })
    await publishAs('order', 'order.cancelled', JSON.stringify({ ...row!.envelope, id: crypto.randomUUID() }), {
      signer,
    })
    // once the consumer has handled both, nothing has moved
    const csql = postgres(dbUrl('catalog'), { max: 1, onnotice: () => {} })
    await eventually(
      async () => (await csql`select 1 from inbox where event_id = ${row!.envelope.id}`).length === 1,
      'original in the inbox',
    )
    await taken.reached(2)
    const [row2] = await csql<{ stock: number }[]>`select stock from products where id = ${pid}`
    const stock = row2?.stock
    await csql.end()
    expect(stock).toBe(5)
  }, 60_000)

  test('stock is conserved: reserved in open orders + available = what the admin put in', async () => {
    const pid = await product(20)
    const orders = await Promise.all(users.slice(0, 12).map((u) => place(u.token, pid, 2)))
    // cancel some while pending or confirmed, concurrently with the saga
    await Promise.all(
      orders.slice(0, 6).map((o, i) =>
        api(shop.order.url, 'PUT', `/api/v1/update_order/${o.body.id}`, {
          token: users[i]!.token,
          body: { status: 'cancelled' },
        }),
      ),
    )
    const final = await answered(orders, 'all answered')
    const held = final.filter((s) => s === 'confirmed').length * 2
    await eventually(
      async () => (await api(shop.catalog.url, 'GET', `/api/v1/product/${pid}`)).body.stock === 20 - held,
      `stock = 20 - ${held}`,
      15_000,
    )
  }, 60_000)
})
