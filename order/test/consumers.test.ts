import { describe, expect, test } from 'bun:test'
import { MemoryBus } from '@shop/platform/bus/memory'
import { createMetrics } from '@shop/platform/observability/metrics'
import { TEST_EVENT_KEYS as keys } from '@shop/platform/testing/event-keys'
import { sample } from '@shop/platform/testing/metrics'
import type { Envelope } from '@shop/kernel/events'
import { orderSubscriptions, replicaProduct } from '../src/adapters/events/consumers.ts'
import { memoryUserReplica } from '@shop/platform/memory/user-replica'
import { memoryOrderStore } from '../src/adapters/memory/store.ts'
import type { Caller } from '../src/domain/order.ts'
import { type OrderApplication, orderApplication } from '../src/app/application.ts'
import { applyProduct, deleteProduct, envelope, must, seedProduct, steppingClock, productCreated } from './support.ts'

/** What a subscription's handler throws on `e` ('no' when it does not throw). */
const thrownBy = (s: { handler(e: Envelope): Promise<unknown> }, e: Envelope): Promise<string> =>
  s.handler(e).then(
    () => 'no',
    (err: Error) => err.message,
  )

function setup() {
  const store = memoryOrderStore()
  const orders = orderApplication({ store, clock: steppingClock() })
  const user: Caller = { id: crypto.randomUUID(), role: 'USER' }
  const admin: Caller = { id: crypto.randomUUID(), role: 'ADMIN' }
  const meta = (eventId = crypto.randomUUID()) => ({ eventId, correlationId: 'corr-9' })
  /** Events for one order, as [type, items] pairs. */
  const sent = (orderId: number) =>
    store.published
      .filter((e) => (e.data as { order_id?: number }).order_id === orderId)
      .map((e) => [e.type, (e.data as { items?: unknown }).items])
  const place = async (c: Caller, items: { productId: number; quantity: number }[]) =>
    must(await orders.commands.placeOrder(c, { items })).order
  const status = async (id: number) => must(await orders.queries.getOrder(admin, id)).status
  return { store, orders, user, admin, meta, sent, place, status }
}

async function products(orders: OrderApplication) {
  return { a: await seedProduct(orders, { price: '2.00' }), b: await seedProduct(orders, { price: '3.00' }) }
}

describe('stock answers', () => {
  test('stock.reserved confirms a pending order, by the system, recorded in the history', async () => {
    const { orders, user, meta, place, status, sent, store } = setup()
    const { a } = await products(orders)
    const o = await place(user, [{ productId: a.id, quantity: 2 }])
    expect(sent(o.id)).toEqual([['order.placed', [{ product_id: a.id, quantity: 2 }]]])
    expect(store.published.at(-1)!.data).toEqual({
      order_id: o.id,
      user_id: user.id,
      items: [{ product_id: a.id, quantity: 2 }],
    })
    expect(await orders.events.onStockReserved({ orderId: o.id }, meta())).toBe('confirmed')
    expect(await status(o.id)).toBe('confirmed')
    const h = must(await orders.queries.orderHistory(user, o.id)).at(-1)!
    expect(h).toMatchObject({ from: 'pending', to: 'confirmed', actor: 'system', by: 'system' })
    expect(sent(o.id)).toHaveLength(1)
  })

  test('stock.rejected rejects it, keeping the reason and the product ids', async () => {
    const { orders, user, meta, place, status } = setup()
    const { a, b } = await products(orders)
    const o = await place(user, [
      { productId: a.id, quantity: 2 },
      { productId: b.id, quantity: 1 },
    ])
    expect(
      await orders.events.onStockRejected({ orderId: o.id, reason: 'insufficient stock', productIds: [b.id] }, meta()),
    ).toBe('rejected')
    expect(await status(o.id)).toBe('rejected')
    expect(must(await orders.queries.orderHistory(user, o.id)).at(-1)).toMatchObject({
      to: 'rejected',
      by: 'system',
      reason: 'insufficient stock',
      productIds: [b.id],
    })
    // no other answer changes it any more
    expect(await orders.events.onStockReserved({ orderId: o.id }, meta())).toBe('ignored')
    expect(await status(o.id)).toBe('rejected')
  })

  test('stock.reserved after the order was cancelled: the stock is released', async () => {
    const { orders, user, meta, place, status, sent } = setup()
    const { a } = await products(orders)
    const o = await place(user, [{ productId: a.id, quantity: 3 }])
    must(await orders.commands.updateOrder(user, o.id, { status: 'cancelled' }))
    expect(sent(o.id)).toEqual([['order.placed', [{ product_id: a.id, quantity: 3 }]]])
    expect(await orders.events.onStockReserved({ orderId: o.id }, meta())).toBe('released')
    expect(await status(o.id)).toBe('cancelled')
    expect(sent(o.id)).toEqual([
      ['order.placed', [{ product_id: a.id, quantity: 3 }]],
      ['order.cancelled', [{ product_id: a.id, quantity: 3 }]],
    ])
    // a second answer for the same order (another event id) finds nothing to release
    expect(await orders.events.onStockReserved({ orderId: o.id }, meta())).toBe('ignored')
    expect(sent(o.id)).toHaveLength(2)
  })

  test('stock.reserved after the order was deleted: released with the placed lines', async () => {
    const { orders, user, meta, place, sent } = setup()
    const { a } = await products(orders)
    const o = await place(user, [{ productId: a.id, quantity: 4 }])
    must(await orders.commands.deleteOrder(user, o.id))
    expect(await orders.events.onStockReserved({ orderId: o.id }, meta())).toBe('released')
    expect(sent(o.id).at(-1)).toEqual(['order.cancelled', [{ product_id: a.id, quantity: 4 }]])
  })

  test('stock.rejected after cancel or delete: nothing to give back', async () => {
    const { orders, user, meta, place, sent, status } = setup()
    const { a } = await products(orders)
    const o1 = await place(user, [{ productId: a.id, quantity: 1 }])
    const o2 = await place(user, [{ productId: a.id, quantity: 1 }])
    must(await orders.commands.updateOrder(user, o1.id, { status: 'cancelled' }))
    must(await orders.commands.deleteOrder(user, o2.id))
    expect(await orders.events.onStockRejected({ orderId: o1.id, reason: 'x', productIds: [] }, meta())).toBe('dropped')
    expect(await orders.events.onStockRejected({ orderId: o2.id, reason: 'x', productIds: [] }, meta())).toBe('dropped')
    expect(await status(o1.id)).toBe('cancelled')
    expect(sent(o1.id)).toHaveLength(1)
    expect(sent(o2.id)).toHaveLength(1)
  })

  test('answers for an order never heard of change nothing', async () => {
    const { orders, meta, store } = setup()
    expect(await orders.events.onStockReserved({ orderId: 424242 }, meta())).toBe('ignored')
    expect(await orders.events.onStockRejected({ orderId: 424242, reason: 'x', productIds: [] }, meta())).toBe(
      'ignored',
    )
    expect(store.published).toHaveLength(0)
  })

  test('a duplicate event has one effect', async () => {
    const { orders, user, meta, place, sent, status } = setup()
    const { a } = await products(orders)
    const o = await place(user, [{ productId: a.id, quantity: 1 }])
    must(await orders.commands.updateOrder(user, o.id, { status: 'cancelled' }))
    const m = meta()
    expect(await orders.events.onStockReserved({ orderId: o.id }, m)).toBe('released')
    expect(await orders.events.onStockReserved({ orderId: o.id }, m)).toBe('duplicate')
    expect(sent(o.id).filter(([t]) => t === 'order.cancelled')).toHaveLength(1)
    const o2 = await place(user, [{ productId: a.id, quantity: 1 }])
    const r = meta()
    expect(await orders.events.onStockRejected({ orderId: o2.id, reason: 'r', productIds: [] }, r)).toBe('rejected')
    expect(await orders.events.onStockRejected({ orderId: o2.id, reason: 'r', productIds: [] }, r)).toBe('duplicate')
    expect(must(await orders.queries.orderHistory(user, o2.id))).toHaveLength(2)
    expect(await status(o2.id)).toBe('rejected')
  })

  test('outgoing events carry the correlation id of the event that caused them', async () => {
    const { orders, user, place, store } = setup()
    const { a } = await products(orders)
    const o = await place(user, [{ productId: a.id, quantity: 1 }])
    must(await orders.commands.updateOrder(user, o.id, { status: 'cancelled' }))
    await orders.events.onStockReserved(
      { orderId: o.id },
      { eventId: crypto.randomUUID(), correlationId: 'from-catalog' },
    )
    expect(store.published.at(-1)).toMatchObject({
      type: 'order.cancelled',
      source: 'order',
      correlation_id: 'from-catalog',
    })
  })
})

describe('editing the items of a pending order (one reservation request in flight)', () => {
  test(
    'an edit emits nothing at once; a reservation of the old lines is released and the new lines ' + 'placed',
    async () => {
      const { orders, user, meta, place, sent, status } = setup()
      const { a, b } = await products(orders)
      const o = await place(user, [{ productId: a.id, quantity: 2 }])
      const edited = must(
        await orders.commands.updateOrder(user, o.id, {
          items: [
            { productId: a.id, quantity: 1 },
            { productId: b.id, quantity: 5 },
          ],
        }),
      )
      expect(edited.total).toBe('17.00')
      expect(sent(o.id)).toHaveLength(1)
      expect(await orders.events.onStockReserved({ orderId: o.id }, meta())).toBe('replaced')
      expect(await status(o.id)).toBe('pending')
      expect(sent(o.id)).toEqual([
        ['order.placed', [{ product_id: a.id, quantity: 2 }]],
        ['order.cancelled', [{ product_id: a.id, quantity: 2 }]],
        [
          'order.placed',
          [
            { product_id: a.id, quantity: 1 },
            { product_id: b.id, quantity: 5 },
          ],
        ],
      ])
      // the answer to the second placement confirms
      expect(await orders.events.onStockReserved({ orderId: o.id }, meta())).toBe('confirmed')
      expect(await status(o.id)).toBe('confirmed')
      // and cancelling now releases what was reserved the second time
      must(await orders.commands.updateOrder(user, o.id, { status: 'cancelled' }))
      expect(sent(o.id).at(-1)).toEqual([
        'order.cancelled',
        [
          { product_id: a.id, quantity: 1 },
          { product_id: b.id, quantity: 5 },
        ],
      ])
    },
  )

  test('a rejection of the old lines places the new ones instead of rejecting the order', async () => {
    const { orders, user, meta, place, sent, status } = setup()
    const { a, b } = await products(orders)
    const o = await place(user, [{ productId: a.id, quantity: 900 }])
    must(await orders.commands.updateOrder(user, o.id, { items: [{ productId: b.id, quantity: 1 }] }))
    expect(
      await orders.events.onStockRejected({ orderId: o.id, reason: 'insufficient stock', productIds: [a.id] }, meta()),
    ).toBe('replaced')
    expect(await status(o.id)).toBe('pending')
    expect(sent(o.id).at(-1)).toEqual(['order.placed', [{ product_id: b.id, quantity: 1 }]])
    expect(
      await orders.events.onStockRejected({ orderId: o.id, reason: 'insufficient stock', productIds: [b.id] }, meta()),
    ).toBe('rejected')
    expect(await status(o.id)).toBe('rejected')
  })

  test('editing back to the placed lines before the answer: the answer confirms', async () => {
    const { orders, user, meta, place, sent, status } = setup()
    const { a, b } = await products(orders)
    const o = await place(user, [{ productId: a.id, quantity: 2 }])
    must(await orders.commands.updateOrder(user, o.id, { items: [{ productId: b.id, quantity: 1 }] }))
    must(await orders.commands.updateOrder(user, o.id, { items: [{ productId: a.id, quantity: 2 }] }))
    expect(await orders.events.onStockReserved({ orderId: o.id }, meta())).toBe('confirmed')
    expect(await status(o.id)).toBe('confirmed')
    expect(sent(o.id)).toHaveLength(1)
  })

  test('edits after the request was answered are refused (the order is no longer pending)', async () => {
    const { orders, user, meta, place } = setup()
    const { a } = await products(orders)
    const o = await place(user, [{ productId: a.id, quantity: 2 }])
    await orders.events.onStockReserved({ orderId: o.id }, meta())
    expect(await orders.commands.updateOrder(user, o.id, { items: [{ productId: a.id, quantity: 3 }] })).toEqual({
      ok: false,
      error: { type: 'NotEditable', status: 'confirmed' },
    })
  })
})

describe('closing orders gives reserved stock back', () => {
  test('cancelling confirmed or paid emits order.cancelled; shipped stock is sold', async () => {
    const { orders, user, admin, meta, place, sent } = setup()
    const { a } = await products(orders)
    const confirmed = await place(user, [{ productId: a.id, quantity: 1 }])
    const paid = await place(user, [{ productId: a.id, quantity: 2 }])
    const shipped = await place(user, [{ productId: a.id, quantity: 3 }])
    for (const o of [confirmed, paid, shipped]) await orders.events.onStockReserved({ orderId: o.id }, meta())
    must(await orders.commands.updateOrder(admin, paid.id, { status: 'paid' }))
    must(await orders.commands.updateOrder(admin, shipped.id, { status: 'paid' }))
    must(await orders.commands.updateOrder(admin, shipped.id, { status: 'shipped' }))
    must(await orders.commands.updateOrder(user, confirmed.id, { status: 'cancelled' }))
    must(await orders.commands.updateOrder(admin, paid.id, { status: 'cancelled' }))
    expect(sent(confirmed.id).at(-1)).toEqual(['order.cancelled', [{ product_id: a.id, quantity: 1 }]])
    expect(sent(paid.id).at(-1)).toEqual(['order.cancelled', [{ product_id: a.id, quantity: 2 }]])
    expect(await orders.commands.updateOrder(admin, shipped.id, { status: 'cancelled' })).toEqual({
      ok: false,
      error: { type: 'TransitionNotAllowed', from: 'shipped', to: 'cancelled' },
    })
    must(await orders.commands.deleteOrder(admin, shipped.id))
    expect(sent(shipped.id).map(([t]) => t)).toEqual(['order.placed'])
  })

  test(
    'an admin deleting a confirmed order releases its stock; deleting a pending one leaves the answer to do ' + 'it',
    async () => {
      const { orders, user, admin, meta, place, sent } = setup()
      const { a } = await products(orders)
      const o = await place(user, [{ productId: a.id, quantity: 5 }])
      await orders.events.onStockReserved({ orderId: o.id }, meta())
      must(await orders.commands.deleteOrder(admin, o.id))
      expect(sent(o.id).at(-1)).toEqual(['order.cancelled', [{ product_id: a.id, quantity: 5 }]])
      const p = await place(user, [{ productId: a.id, quantity: 6 }])
      must(await orders.commands.deleteOrder(admin, p.id))
      expect(sent(p.id)).toHaveLength(1)
      expect(await orders.events.onStockReserved({ orderId: p.id }, meta())).toBe('released')
      expect(sent(p.id).at(-1)).toEqual(['order.cancelled', [{ product_id: a.id, quantity: 6 }]])
    },
  )
})

describe('user.deleted', () => {
  test(
    "cancels the user's pending, confirmed and paid orders, by the system; keeps them; releases reserved " + 'stock',
    async () => {
      const { orders, user, admin, meta, place, sent, status } = setup()
      const other: typeof user = { id: crypto.randomUUID(), role: 'USER' }
      const { a } = await products(orders)
      const pending = await place(user, [{ productId: a.id, quantity: 1 }])
      const confirmed = await place(user, [{ productId: a.id, quantity: 2 }])
      const paid = await place(user, [{ productId: a.id, quantity: 3 }])
      const shipped = await place(user, [{ productId: a.id, quantity: 4 }])
      const rejected = await place(user, [{ productId: a.id, quantity: 5 }])
      const others = await place(other, [{ productId: a.id, quantity: 6 }])
      for (const o of [confirmed, paid, shipped]) await orders.events.onStockReserved({ orderId: o.id }, meta())
      for (const o of [paid, shipped]) must(await orders.commands.updateOrder(admin, o.id, { status: 'paid' }))
      must(await orders.commands.updateOrder(admin, shipped.id, { status: 'shipped' }))
      await orders.events.onStockRejected({ orderId: rejected.id, reason: 'r', productIds: [a.id] }, meta())

      const m = meta()
      expect(await orders.events.onUserDeleted(user.id, m)).toBe(3)
      expect(await orders.events.onUserDeleted(user.id, m)).toBe('duplicate')
      expect([
        await status(pending.id),
        await status(confirmed.id),
        await status(paid.id),
        await status(shipped.id),
        await status(rejected.id),
        await status(others.id),
      ]).toEqual(['cancelled', 'cancelled', 'cancelled', 'shipped', 'rejected', 'pending'])
      expect(must(await orders.queries.orderHistory(admin, paid.id)).at(-1)).toMatchObject({
        from: 'paid',
        to: 'cancelled',
        actor: 'system',
        by: 'system',
        reason: 'user deleted',
      })
      // stock was reserved for confirmed and paid only
      expect(sent(pending.id).map(([t]) => t)).toEqual(['order.placed'])
      expect(sent(confirmed.id).at(-1)).toEqual(['order.cancelled', [{ product_id: a.id, quantity: 2 }]])
      expect(sent(paid.id).at(-1)).toEqual(['order.cancelled', [{ product_id: a.id, quantity: 3 }]])
      expect(sent(shipped.id).map(([t]) => t)).toEqual(['order.placed'])
      // the pending order's reservation, answered later, is released
      expect(await orders.events.onStockReserved({ orderId: pending.id }, meta())).toBe('released')
    },
  )
})

describe('product events', () => {
  test('events map to replica rows', () => {
    expect(
      replicaProduct(
        envelope('product.updated', {
          id: 2,
          name: 'n',
          price: '3.00',
          stock: 4,
          category_id: 5,
          sku: 'N-2',
          version: 6,
        }),
      ),
    ).toEqual({
      id: 2,
      deleted: false,
      name: 'n',
      price: '3.00',
      stock: 4,
      categoryId: 5,
      sku: 'N-2',
      version: 6,
    })
    expect(replicaProduct(envelope('product.deleted', { id: 2, version: 7 }))).toEqual({
      id: 2,
      deleted: true,
      version: 7,
    })
  })
  test('created, updated, deleted feed the replica that order creation checks', async () => {
    const { orders, user } = setup()
    const p = await seedProduct(orders, { price: '1.00' })
    await applyProduct(orders, envelope('product.updated', { ...p, price: '2.00', version: 2 }))
    // a late created with an older version changes nothing
    expect(await applyProduct(orders, envelope('product.created', { ...p, price: '9.00', version: 1 }))).toBe('stale')
    expect(
      must(await orders.commands.placeOrder(user, { items: [{ productId: p.id, quantity: 1 }] })).order.total,
    ).toBe('2.00')
    await deleteProduct(orders, p.id, 3)
    expect(await applyProduct(orders, envelope('product.updated', { ...p, version: 3 }))).toBe('stale')
    expect(await orders.commands.placeOrder(user, { items: [{ productId: p.id, quantity: 1 }] })).toEqual({
      ok: false,
      error: { type: 'UnknownProducts', productIds: [p.id] },
    })
  })
  test('other event types are refused (a wiring bug, not a message to drop)', async () => {
    const { orders } = setup()
    const [products] = orderSubscriptions(orders, memoryUserReplica())
    const thrown = await thrownBy(products!, envelope('stock.reserved', { order_id: 1 }) as Envelope)
    expect(thrown).toContain('cannot handle stock.reserved')
  })
})

describe('orderSubscriptions', () => {
  test('queues, topics and handlers', async () => {
    const { orders, user, place, status } = setup()
    const subs = orderSubscriptions(orders, memoryUserReplica())
    expect(subs.map((s) => [s.service, s.name, [...s.topics]])).toEqual([
      ['order', 'products', ['product.created', 'product.updated', 'product.deleted']],
      ['order', 'stock', ['stock.reserved', 'stock.rejected']],
      ['order', 'users', ['user.created', 'user.updated', 'user.deleted']],
    ])
    const [products, stock, users] = subs as [(typeof subs)[0], (typeof subs)[0], (typeof subs)[0]]
    const product = productCreated({ id: 77_001, name: 'via bus', price: '4.00', stock: 1 })
    await products.handler(product as Envelope)
    const o = await place(user, [{ productId: 77_001, quantity: 1 }])
    await stock.handler(envelope('stock.reserved', { order_id: o.id }) as Envelope)
    expect(await status(o.id)).toBe('confirmed')
    const o2 = await place(user, [{ productId: 77_001, quantity: 1 }])
    await stock.handler(envelope('stock.rejected', { order_id: o2.id, reason: 'r', product_ids: [] }) as Envelope)
    expect(await status(o2.id)).toBe('rejected')
    await users.handler(envelope('user.deleted', { id: user.id, version: 2 }) as Envelope)
    expect(await status(o.id)).toBe('cancelled')
  })
  test('handlers pass the envelope id to the inbox: a redelivery has no second effect', async () => {
    const { orders, user, place, sent } = setup()
    const [, stock] = orderSubscriptions(orders, memoryUserReplica())
    const p = await seedProduct(orders)
    const o = await place(user, [{ productId: p.id, quantity: 1 }])
    must(await orders.commands.updateOrder(user, o.id, { status: 'cancelled' }))
    const e = envelope('stock.reserved', { order_id: o.id }, { correlationId: 'c-1' }) as Envelope
    await stock!.handler(e)
    await stock!.handler(e)
    expect(sent(o.id).map(([t]) => t)).toEqual(['order.placed', 'order.cancelled'])
  })
  test('a handler throws when the use case throws, or on a topic it does not handle', async () => {
    const application = orderApplication({ store: memoryOrderStore(), clock: steppingClock() })
    const failing = {
      ...application,
      events: {
        ...application.events,
        onStockReserved: async (): Promise<never> => {
          throw new Error('database down')
        },
      },
    }
    const [, stock, users] = orderSubscriptions(failing, memoryUserReplica())
    const e1 = await thrownBy(stock!, envelope('stock.reserved', { order_id: 1 }) as Envelope)
    expect(e1).toBe('database down')
    const e2 = await thrownBy(users!, envelope('stock.reserved', { order_id: 1 }) as Envelope)
    expect(e2).toContain('cannot handle')
  })
})

describe('a redelivered event through the bus (memory)', () => {
  test('the same stock.reserved twice: confirmed once; one applied, one duplicate on the metric', async () => {
    const { orders, user, place, status } = setup()
    const { a } = await products(orders)
    const o = await place(user, [{ productId: a.id, quantity: 1 }])
    const metrics = createMetrics('order')
    const bus = new MemoryBus(keys.keyring)
    const stock = orderSubscriptions(orders, memoryUserReplica())[1]!
    await bus.subscribe({ ...stock, metrics })
    const body = new TextEncoder().encode(JSON.stringify(envelope('stock.reserved', { order_id: o.id })))
    const signature = await keys.signers.catalog.sign(body)
    for (let i = 0; i < 2; i++) bus.publishRaw('stock.reserved', body, { signature })
    await bus.settled()
    const text = await metrics.expose()
    const n = (outcome: string) =>
      sample(text, 'messaging_client_consumed_messages_total', { messaging_destination_name: 'order.stock', outcome })
    expect([n('applied'), n('duplicate')]).toEqual([1, 1])
    expect(await status(o.id)).toBe('confirmed')
    const history = must(await orders.queries.orderHistory(user, o.id))
    expect(history.filter((h) => h.to === 'confirmed')).toHaveLength(1)
  })
})
