import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import postgres from 'postgres'
import { api, dbUrl, eventually, Service, type Shop, startShop, useServers, adminToken, categoryId } from './harness.ts'

/**
 * Two instances of the catalog side by side on one database and one set of queues: they compete
 * for the messages (each is processed by one of them), their outbox relays share the rows, and
 * no event is applied twice.
 */
const run = await useServers()
let shop: Shop
let second: Service

describe.skipIf(!run)('two instances of a service', () => {
  beforeAll(async () => {
    shop = await startShop({ env: { catalog: { LOG_LEVEL: 'debug' } } })
    second = new Service('catalog', { ...shop.catalog.env })
    await second.start()
  }, 90_000)
  afterAll(async () => {
    await second?.stop().catch(() => 0)
    await shop?.stop()
  })

  test('competing consumers: every order reserved exactly once, both instances did some of the work', async () => {
    const admin = await adminToken(shop.auth.url)
    const catId = await categoryId(shop.catalog.url, admin, 'Twins')
    // products written through both instances: both relays publish
    const p1 = await api(shop.catalog.url, 'POST', '/api/v1/product', {
      token: admin,
      body: { name: 'One', price: '2.00', stock: 100, category_id: catId },
    })
    const p2 = await api(second.url, 'POST', '/api/v1/product', {
      token: admin,
      body: { name: 'Two', price: '3.00', stock: 100, category_id: catId },
    })
    const place = (pid: number) =>
      api(shop.order.url, 'POST', '/api/v1/order', {
        token: admin,
        body: { items: [{ product_id: pid, quantity: 1 }] },
      })
    // one probe order per product, placed once the order service's replica knows it
    for (const p of [p1, p2])
      await eventually(async () => (await place(p.body.id)).status === 201, 'product in the order replica')
    const placed = await Promise.all(Array.from({ length: 60 }, (_, i) => place(i % 2 ? p1.body.id : p2.body.id)))
    expect(placed.every((r) => r.status === 201)).toBe(true)
    const ids = placed.map((r) => r.body.id as number)
    await eventually(
      async () => {
        const all = await Promise.all(
          ids.map((id) => api(shop.order.url, 'GET', `/api/v1/order/${id}`, { token: admin })),
        )
        return all.every((r) => r.body.status === 'confirmed')
      },
      'all 60 confirmed',
      30_000,
    )
    const sql = postgres(dbUrl('catalog'), { max: 1, onnotice: () => {} })
    const stock = await sql<{ id: number; stock: number }[]>`select id, stock from products order by id`
    const [res] = await sql<
      { n: number }[]
    >`select count(*)::int as n from stock_reservations where status = 'reserved'`
    const [dup] = await sql<
      { n: number }[]
    >`select count(*)::int as n from (select event_id from inbox group by event_id having count(*) > 1) d`
    await sql.end()
    // 2 probe orders + 60: each unit taken once
    expect(stock.map((p) => p.stock)).toEqual([100 - 31, 100 - 31])
    expect(res!.n).toBe(62)
    expect(dup!.n).toBe(0)
    const processed = (s: Service) =>
      s.logs().filter((l) => l.msg === 'event processed' && l.queue === 'catalog.orders').length
    expect(processed(shop.catalog) + processed(second)).toBe(62)
    expect(processed(shop.catalog)).toBeGreaterThan(0)
    expect(processed(second)).toBeGreaterThan(0)
  }, 60_000)
})
