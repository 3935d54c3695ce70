import { describe, expect, test } from 'bun:test'
import {
  api,
  repoId,
  eventually,
  type Shop,
  withShop,
  withDb,
  withShopChannel,
  useServers,
  adminToken,
  categoryId,
} from './harness.ts'

/**
 * The saga never strands an order, on real processes: an order.placed that never reaches the
 * catalog (its queue purged while the catalog is away) is published again, the same envelope,
 * every ORDER_PENDING_TIMEOUT_SECONDS; once the catalog is back the order is confirmed and its
 * stock reserved once. After ORDER_PENDING_MAX_ATTEMPTS sends without an answer the order is
 * rejected (reservation_timeout), and the stock a late answer reserved goes back.
 */
const run = await useServers()
const VHOST = `shop_saga_timeout_${repoId}`

const purge = (queue: string) => withShopChannel(async (ch) => (await ch.queuePurge(queue)).messageCount, VHOST)

/** The shop on this file's vhost, its order service sending a request again after `timeout` s, `attempts` times. */
const patience = (timeout: string, attempts: string) => ({
  vhost: VHOST,
  env: { order: { ORDER_PENDING_TIMEOUT_SECONDS: timeout, ORDER_PENDING_MAX_ATTEMPTS: attempts } },
})

/** An admin token, and a product with `stock` units that the order service's replica already knows. */
async function productIn(shop: Shop, stock: number) {
  const admin = await adminToken(shop.auth.url)
  const p = await api(shop.catalog.url, 'POST', '/api/v1/product', {
    token: admin,
    body: { name: 'Slow', price: '4.00', stock, category_id: await categoryId(shop.catalog.url, admin, 'Timeouts') },
  })
  await eventually(
    () => withDb('order', async (sql) => (await sql`select 1 from products where id = ${p.body.id}`).length > 0),
    'the product in the order replica',
  )
  return { admin, productId: p.body.id as number }
}

/** With the catalog stopped, an order of `quantity` units of a product of 10: the admin's token, product, answer. */
async function placedWhileCatalogAway(shop: Shop, quantity: number) {
  const { admin, productId } = await productIn(shop, 10)
  await shop.catalog.stop()
  const placed = await api(shop.order.url, 'POST', '/api/v1/order', {
    token: admin,
    headers: { 'Idempotency-Key': crypto.randomUUID() },
    body: { items: [{ product_id: productId, quantity }] },
  })
  return { admin, productId, placed, id: placed.body.id as number }
}

const stockOf = (productId: number) =>
  withDb('catalog', async (sql) => (await sql`select stock from products where id = ${productId}`)[0]!.stock as number)

describe.skipIf(!run)('an order.placed that never arrives (the catalog queue purged)', () => {
  let shop: Shop
  withShop((s) => (shop = s), patience('2', '1000'))

  test('is published again, the same envelope, until the catalog is back: confirmed, reserved once', async () => {
    const { admin, productId, placed, id } = await placedWhileCatalogAway(shop, 3)
    expect(placed.status).toBe(201)
    // The order.placed went out, and is lost with the catalog's queue.
    await eventually(
      () =>
        withDb('order', async (sql) => {
          const rows = await sql`select 1 from outbox where type = 'order.placed' and sent_at is not null
            and (envelope->'data'->>'order_id')::bigint = ${id}`
          return rows.length === 1
        }),
      'the order.placed published',
    )
    expect(await purge('catalog.orders')).toBeGreaterThanOrEqual(1)
    // Past the timeout it is sent again (counted on the request), into the queue the catalog reads.
    await eventually(
      () =>
        withDb('order', async (sql) => {
          const [r] = await sql`select attempts from reservations where order_id = ${id}`
          return (r?.attempts ?? 0) >= 2
        }),
      'the request sent again',
      30_000,
    )
    await shop.catalog.start()
    await eventually(
      async () =>
        (await api(shop.order.url, 'GET', `/api/v1/order/${id}`, { token: admin })).body.status === 'confirmed',
      'the order confirmed',
      30_000,
    )
    // One order.placed row (one envelope, one id), applied once by the catalog, stock taken once.
    const rows = await withDb(
      'order',
      (sql) => sql`select id::text from outbox where type = 'order.placed'
        and (envelope->'data'->>'order_id')::bigint = ${id}`,
    )
    expect(rows).toHaveLength(1)
    const catalog = await withDb('catalog', async (sql) => ({
      inbox: await sql`select 1 from inbox where event_id = ${rows[0]!.id}`,
      reservations: await sql`select status from stock_reservations where order_id = ${id}`,
    }))
    expect(catalog.inbox).toHaveLength(1)
    expect(catalog.reservations.map((r) => r.status)).toEqual(['reserved'])
    expect(await stockOf(productId)).toBe(7)
    const history = await api(shop.order.url, 'GET', `/api/v1/order/${id}/history`, { token: admin })
    expect(history.body.map((h: { to: string }) => h.to)).toEqual(['pending', 'confirmed'])
    const metrics = await (await fetch(`${shop.order.url}/metrics`)).text()
    expect(metrics).toMatch(/shop_order_reservation_unanswered_total\{[^}]*outcome="resent"[^}]*\} [1-9]/)
  }, 120_000)
})

describe.skipIf(!run)('an order whose request is never answered', () => {
  let shop: Shop
  withShop((s) => (shop = s), patience('1', '2'))

  test('is rejected after the last attempt (reservation_timeout); a late reservation is given back', async () => {
    const { admin, productId, id } = await placedWhileCatalogAway(shop, 4)
    await eventually(
      async () =>
        (await api(shop.order.url, 'GET', `/api/v1/order/${id}`, { token: admin })).body.status === 'rejected',
      'the order rejected',
      30_000,
    )
    const history = await api(shop.order.url, 'GET', `/api/v1/order/${id}/history`, { token: admin })
    expect(history.body.at(-1)).toMatchObject({ from: 'pending', to: 'rejected', reason: 'reservation_timeout' })
    // The catalog comes back to the copies of that order.placed in its queue: it reserves once,
    // the order service releases what the rejected order does not want, the stock is whole again.
    await shop.catalog.start()
    await eventually(
      () =>
        withDb('catalog', async (sql) => {
          const [r] = await sql`select status from stock_reservations where order_id = ${id}`
          return r?.status === 'released'
        }),
      'the late reservation released',
      30_000,
    )
    expect(await stockOf(productId)).toBe(10)
    expect((await api(shop.order.url, 'GET', `/api/v1/order/${id}`, { token: admin })).body.status).toBe('rejected')
    const metrics = await (await fetch(`${shop.order.url}/metrics`)).text()
    expect(metrics).toMatch(/shop_order_reservation_unanswered_total\{[^}]*outcome="timed_out"[^}]*\} 1/)
  }, 120_000)
})
