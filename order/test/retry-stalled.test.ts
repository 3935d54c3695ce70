import { describe, expect, test } from 'bun:test'
import { memoryOrderStore } from '../src/adapters/memory/store.ts'
import { orderApplication } from '../src/app/application.ts'
import type { Caller } from '../src/domain/order.ts'
import { RESERVATION_TIMEOUT } from '../src/domain/reservation.ts'
import { must, seedProduct, steppingClock } from './support.ts'

/**
 * The saga never strands an order (app/retry-stalled.ts), over the memory store: an unanswered
 * request's order.placed is published again as the very same envelope, and after the last attempt
 * the order is rejected with the reason reservation_timeout; an answer that still comes then is
 * released. The timeout is 0 s here, so every request not answered is unanswered at once.
 */
function setup() {
  const store = memoryOrderStore()
  const orders = orderApplication({ store, clock: steppingClock() })
  const user: Caller = { id: crypto.randomUUID(), role: 'USER' }
  const admin: Caller = { id: crypto.randomUUID(), role: 'ADMIN' }
  const placedOf = (orderId: number) =>
    store.published.filter((e) => e.type === 'order.placed' && (e.data as { order_id: number }).order_id === orderId)
  const retry = async (maxAttempts = 3) => {
    await Bun.sleep(5) // the memory store's clock is the wall clock: some time must pass
    return orders.jobs.retryStalled({ timeoutSeconds: 0, maxAttempts })
  }
  return { store, orders, user, admin, placedOf, retry }
}

describe('unanswered stock requests', () => {
  test('order.placed is published again as the same envelope (same id), then the order is rejected', async () => {
    const { orders, user, admin, placedOf, retry, store } = setup()
    const p = await seedProduct(orders)
    const o = must(await orders.commands.placeOrder(user, { items: [{ productId: p.id, quantity: 2 }] })).order
    const first = placedOf(o.id)
    expect(first).toHaveLength(1)
    expect(await retry()).toEqual(['resent'])
    expect(await retry()).toEqual(['resent'])
    // The same envelope each time: the catalog's inbox applies it once, whatever number arrives.
    expect(placedOf(o.id)).toEqual([first[0]!, first[0]!, first[0]!])
    expect(await retry()).toEqual(['timed_out'])
    const order = must(await orders.queries.getOrder(admin, o.id))
    expect(order.status).toBe('rejected')
    const history = must(await orders.queries.orderHistory(admin, o.id))
    expect(history.at(-1)).toMatchObject({
      from: 'pending',
      to: 'rejected',
      actor: 'system',
      reason: RESERVATION_TIMEOUT,
    })
    // Nothing more is sent for it.
    expect(await retry()).toEqual([])
    expect(placedOf(o.id)).toHaveLength(3)
    // The catalog answers after all: the stock it reserved goes back.
    const before = store.published.length
    expect(
      await orders.events.onStockReserved({ orderId: o.id }, { eventId: crypto.randomUUID(), correlationId: null }),
    ).toBe('released')
    const after = store.published.slice(before).map((e) => ({ type: e.type, data: e.data as unknown }))
    expect(after).toEqual([
      { type: 'order.cancelled', data: { order_id: o.id, items: [{ product_id: p.id, quantity: 2 }] } },
    ])
  })

  test('an answered request is never sent again; a rejection that still comes after a timeout is dropped', async () => {
    const { orders, user, admin, placedOf, retry } = setup()
    const p = await seedProduct(orders)
    const meta = () => ({ eventId: crypto.randomUUID(), correlationId: null })
    const a = must(await orders.commands.placeOrder(user, { items: [{ productId: p.id, quantity: 1 }] })).order
    expect(await orders.events.onStockReserved({ orderId: a.id }, meta())).toBe('confirmed')
    const b = must(await orders.commands.placeOrder(user, { items: [{ productId: p.id, quantity: 1 }] })).order
    expect(await retry(1)).toEqual(['timed_out'])
    expect(placedOf(a.id)).toHaveLength(1)
    expect(must(await orders.queries.getOrder(admin, a.id)).status).toBe('confirmed')
    expect(
      await orders.events.onStockRejected({ orderId: b.id, reason: 'insufficient stock', productIds: [p.id] }, meta()),
    ).toBe('dropped')
    expect(must(await orders.queries.getOrder(admin, b.id)).status).toBe('rejected')
    expect(await retry(1)).toEqual([])
  })
})
