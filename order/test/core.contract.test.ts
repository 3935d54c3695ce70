import { beforeAll, describe, expect, test } from 'bun:test'
import type { Envelope } from '@shop/kernel/events'
import { silentLogger } from '@shop/platform/log'
import type { Sql } from '@shop/platform/postgres/connect'
import { call, tokenFactory } from '@shop/platform/testing/http'
import { adapterDatabases } from '@shop/platform/testing/databases'
import { orderHttp } from '../src/adapters/http/routes.ts'
import { memoryOrderStore } from '../src/adapters/memory/store.ts'
import { postgresOrderStore } from '../src/adapters/postgres/store.ts'
import { MIGRATIONS } from '../src/main.ts'
import { type OrderApplication, orderApplication } from '../src/app/application.ts'
import { SECRET, applyProduct, must, seedProduct, productCreated } from './support.ts'

/**
 * The use cases over every store: what only a real database can get wrong (concurrency, SQL,
 * transactions around events) is checked here; the rest of the behaviour in consumers/http tests.
 */
function scenarios(
  name: string,
  make: () => Promise<{
    orders: OrderApplication
    events: (orderId: number) => Promise<{ type: string; data: any }[]>
    app: ReturnType<typeof orderHttp>
  }>,
) {
  describe(`order use cases: ${name}`, () => {
    let orders: OrderApplication
    let events: (orderId: number) => Promise<{ type: string; data: any }[]>
    let app: ReturnType<typeof orderHttp>
    beforeAll(async () => {
      ;({ orders, events, app } = await make())
    })
    const caller = () => ({ id: crypto.randomUUID(), role: 'USER' as const })
    const admin = { id: crypto.randomUUID(), role: 'ADMIN' as const }
    const meta = (eventId = crypto.randomUUID()) => ({ eventId, correlationId: 'corr-1' })

    test('HTTP over this store: place with a key, repeat, reserve, pay, ship, deliver, history, list', async () => {
      const tokens = tokenFactory(SECRET)
      const user = { id: crypto.randomUUID(), username: 'alice', role: 'USER' }
      const token = await tokens.valid(user)
      const adminToken = await tokens.valid({ id: admin.id, username: 'root', role: 'ADMIN' })
      const p1 = await seedProduct(orders, { price: '0.10', sku: 'PEN-0.1' })
      const p2 = await seedProduct(orders, { price: '19.99' })
      const body = {
        items: [
          { product_id: p1.id, quantity: 2 },
          { product_id: p2.id, quantity: 1 },
          { product_id: p1.id, quantity: 1 },
        ],
        shipping_address: 'Main St 1',
      }
      const created = await call(app, 'POST', '/api/v1/order', { token, body, headers: { 'Idempotency-Key': 'abc' } })
      expect(created.status).toBe(201)
      expect(created.body).toMatchObject({ status: 'pending', total_quantity: 4, total: '20.29', user_id: user.id })
      expect(created.body.items).toEqual([
        { product_id: p1.id, name: p1.name, unit_price: '0.10', quantity: 3, line_total: '0.30', sku: 'PEN-0.1' },
        { product_id: p2.id, name: p2.name, unit_price: '19.99', quantity: 1, line_total: '19.99', sku: null },
      ])
      const again = await call(app, 'POST', '/api/v1/order', { token, body, headers: { 'Idempotency-Key': 'abc' } })
      expect(again.status).toBe(201)
      expect(again.body.id).toBe(created.body.id)
      const id = created.body.id as number
      expect(await orders.events.onStockReserved({ orderId: id }, meta())).toBe('confirmed')
      for (const status of ['paid', 'shipped', 'delivered']) {
        const r = await call(app, 'PUT', `/api/v1/update_order/${id}`, { token: adminToken, body: { status } })
        expect(r.status).toBe(200)
        expect(r.body.status).toBe(status)
      }
      const h = await call(app, 'GET', `/api/v1/order/${id}/history`, { token })
      expect(h.body.map((e: any) => `${e.from}>${e.to}:${e.actor}`)).toEqual([
        'null>pending:owner',
        'pending>confirmed:system',
        'confirmed>paid:admin',
        'paid>shipped:admin',
        'shipped>delivered:admin',
      ])
      const list = await call(app, 'GET', `/api/v1/orders?status=delivered`, { token })
      expect(list.body.map((o: any) => o.id)).toEqual([id])
      expect(list.headers.get('X-Total-Count')).toBe('1')
      expect((await events(id)).map((e) => e.type)).toEqual(['order.placed'])
      expect((await call(app, 'DELETE', `/api/v1/delete_order/${id}`, { token: adminToken })).status).toBe(204)
      expect((await call(app, 'GET', `/api/v1/order/${id}`, { token })).status).toBe(404)
    })

    test('a duplicate event id has one effect', async () => {
      const e = productCreated({ id: 9001, name: 'dup', price: '1.00', stock: 1 })
      expect(await applyProduct(orders, e)).toBe('applied')
      expect(await applyProduct(orders, e)).toBe('duplicate')
      const u = caller()
      const placed = await orders.commands.placeOrder(u, { items: [{ productId: 9001, quantity: 1 }] })
      const id = must(placed).order.id
      // edited while the request is in flight: the answer releases and places again, once
      await orders.commands.updateOrder(u, id, { items: [{ productId: 9001, quantity: 2 }] })
      const m = meta()
      expect(await orders.events.onStockReserved({ orderId: id }, m)).toBe('replaced')
      expect(await orders.events.onStockReserved({ orderId: id }, m)).toBe('duplicate')
      expect((await events(id)).map((x) => x.type)).toEqual(['order.placed', 'order.cancelled', 'order.placed'])
      const u2 = crypto.randomUUID()
      const m2 = meta()
      expect(await orders.events.onUserDeleted(u2, m2)).toBe(0)
      expect(await orders.events.onUserDeleted(u2, m2)).toBe('duplicate')
    })

    test('concurrent repeats of one Idempotency-Key create one order', async () => {
      const p = await seedProduct(orders)
      const u = caller()
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          orders.commands.placeOrder(
            u,
            { items: [{ productId: p.id, quantity: 1 }] },
            { idempotency: { key: 'race', fingerprint: 'fp' } },
          ),
        ),
      )
      const ids = results.map((r) => (r.ok ? r.value.order.id : r.error.type))
      expect(new Set(ids).size).toBe(1)
      expect(results.filter((r) => r.ok && !r.value.replayed)).toHaveLength(1)
      expect((await orders.queries.listOrders(u, {}, { limit: 10, offset: 0 })).total).toBe(1)
    })

    test('concurrent changes of one order: one passes the status check, the others get 409', async () => {
      const p = await seedProduct(orders)
      const u = caller()
      const placed = await orders.commands.placeOrder(u, { items: [{ productId: p.id, quantity: 1 }] })
      const id = must(placed).order.id
      await orders.events.onStockReserved({ orderId: id }, meta())
      const results = await Promise.all(
        Array.from({ length: 5 }, () => orders.commands.updateOrder(admin, id, { status: 'paid' })),
      )
      expect(results.filter((r) => r.ok)).toHaveLength(1)
      expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.error)).toEqual(
        Array(4).fill({ type: 'TransitionNotAllowed', from: 'paid', to: 'paid' }),
      )
      expect(must(await orders.queries.orderHistory(admin, id)).filter((h) => h.to === 'paid')).toHaveLength(1)
    })

    test('cancel racing the reservation: cancelled, and the stock released exactly once', async () => {
      const p = await seedProduct(orders)
      const u = caller()
      const placed = await orders.commands.placeOrder(u, { items: [{ productId: p.id, quantity: 2 }] })
      const id = must(placed).order.id
      const [cancel, reserved] = await Promise.all([
        orders.commands.updateOrder(u, id, { status: 'cancelled' }),
        orders.events.onStockReserved({ orderId: id }, meta()),
      ])
      expect(['confirmed', 'released']).toContain(reserved)
      expect(cancel.ok).toBe(true)
      expect(must(await orders.queries.getOrder(u, id)).status).toBe('cancelled')
      const cancelled = (await events(id)).filter((e) => e.type === 'order.cancelled')
      expect(cancelled).toEqual([
        { type: 'order.cancelled', data: { order_id: id, items: [{ product_id: p.id, quantity: 2 }] } },
      ])
    })
  })
}

/** The order service's HTTP app on `orders`, as main builds it (no readiness checks). */
const httpOf = (orders: OrderApplication) =>
  orderHttp({ application: orders, secret: SECRET, service: 'order', log: silentLogger, bodyLimit: 1 << 20, ready: {} })

scenarios('memory', async () => {
  const store = memoryOrderStore()
  const orders = orderApplication({ store, clock: { now: () => new Date() } })
  const events = async (orderId: number) =>
    store.published
      .filter((e: Envelope) => (e.data as any).order_id === orderId)
      .map((e) => ({ type: e.type, data: e.data }))
  return {
    orders,
    events,
    app: httpOf(orders),
  }
})
for (const db of await adapterDatabases('order', MIGRATIONS)) {
  scenarios(`postgres (${db.kind})`, async () => {
    const sql: Sql = await db.open()
    const orders = orderApplication({ store: postgresOrderStore(sql), clock: { now: () => new Date() } })
    const events = async (orderId: number) =>
      (
        await sql<
          { envelope: Envelope }[]
        >`select envelope from outbox where envelope->'data'->>'order_id' = ${String(orderId)} order by seq`
      ).map((r) => ({
        type: r.envelope.type,
        data: r.envelope.data,
      }))
    return {
      orders,
      events,
      app: httpOf(orders),
    }
  })
}
