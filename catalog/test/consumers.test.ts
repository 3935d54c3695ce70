import { describe, expect, test } from 'bun:test'
import { type DomainEvent, type Envelope, makeEnvelope, parseEnvelope } from '@shop/kernel/events'
import { systemClock } from '@shop/kernel/app'
import { type CatalogApplication, catalogApplication } from '../src/app/application.ts'
import { catalogSubscriptions } from '../src/adapters/events/consumers.ts'
import { memoryCatalogStore } from '../src/adapters/memory/store.ts'
import type { CatalogStore } from '../src/ports.ts'

const envelope = (event: DomainEvent, correlationId: string | null = 'corr-7'): Envelope => {
  // Through the kernel's validation, as the bus delivers it.
  const parsed = parseEnvelope(
    JSON.parse(JSON.stringify(makeEnvelope('order', event, correlationId, crypto.randomUUID(), new Date()))),
  )
  if (!parsed.ok) throw new Error(parsed.reason)
  return parsed.envelope
}

async function setup() {
  const store = memoryCatalogStore()
  const core = catalogApplication({ store, clock: systemClock })
  const c = await core.commands.createCategory({ name: 'C' })
  if (!c.ok) throw new Error('setup')
  const p = await core.commands.createProduct({ name: 'P', price: '2.00', stock: 3, categoryId: c.value.id })
  if (!p.ok) throw new Error('setup')
  const [sub] = catalogSubscriptions(core)
  const stock = async () => {
    const r = await core.queries.getProduct(p.value.id)
    return r.ok ? r.value.stock : -1
  }
  return { store, core, sub: sub!, productId: p.value.id, stock }
}

describe('catalogSubscriptions', () => {
  test('one subscription: service catalog, queue orders, the two order topics', async () => {
    const { sub } = await setup()
    expect(sub.service).toBe('catalog')
    expect(sub.name).toBe('orders')
    expect([...sub.topics]).toEqual(['order.placed', 'order.cancelled'])
  })

  test('order.placed reserves, answering with the envelope correlation id; order.cancelled releases', async () => {
    const { store, sub, productId, stock } = await setup()
    await sub.handler(
      envelope({
        type: 'order.placed',
        data: { order_id: 9, user_id: crypto.randomUUID(), items: [{ product_id: productId, quantity: 2 }] },
      }),
    )
    expect(await stock()).toBe(1)
    const answer = store.published.find((e) => e.type === 'stock.reserved')!
    expect(answer).toMatchObject({ data: { order_id: 9 }, correlation_id: 'corr-7', source: 'catalog' })
    const cancelled = envelope(
      { type: 'order.cancelled', data: { order_id: 9, items: [{ product_id: productId, quantity: 2 }] } },
      null,
    )
    await sub.handler(cancelled)
    await sub.handler(cancelled) // redelivery: the inbox has it
    expect(await stock()).toBe(3)
    expect(store.published.filter((e) => e.type === 'product.updated').map((e) => e.correlation_id)).toEqual([
      'corr-7',
      null,
    ])
  })

  test('a redelivered order.placed (same envelope id) changes nothing', async () => {
    const { store, sub, productId, stock } = await setup()
    const e = envelope({
      type: 'order.placed',
      data: { order_id: 1, user_id: crypto.randomUUID(), items: [{ product_id: productId, quantity: 1 }] },
    })
    await sub.handler(e)
    await sub.handler(e)
    expect(await stock()).toBe(2)
    expect(store.published.filter((x) => x.type === 'stock.reserved').length).toBe(1)
  })

  test(
    'a redelivered order.cancelled (same envelope id) puts the ' +
      'stock back once, even after the order was placed again',
    async () => {
      const { store, sub, productId, stock } = await setup()
      const items = [{ product_id: productId, quantity: 2 }]
      await sub.handler(envelope({ type: 'order.placed', data: { order_id: 5, user_id: crypto.randomUUID(), items } }))
      const cancelled = envelope({ type: 'order.cancelled', data: { order_id: 5, items } })
      await sub.handler(cancelled)
      expect(await stock()).toBe(3)
      // the order is placed again (a new round of its reservation), then the old cancellation comes back
      await sub.handler(envelope({ type: 'order.placed', data: { order_id: 5, user_id: crypto.randomUUID(), items } }))
      expect(await stock()).toBe(1)
      await sub.handler(cancelled)
      expect(await stock()).toBe(1)
      expect(store.published.flatMap((e) => (e.type === 'product.updated' ? [e.data.stock] : []))).toEqual([1, 3, 1])
    },
  )

  test('the handler throws when the use case throws (so the bus retries), and the effect is rolled back', async () => {
    const { store, core, productId, stock } = await setup()
    const failing: CatalogStore = {
      ...store,
      transact: (work) =>
        store.transact(async (tx) => {
          await work(tx)
          throw new Error('database went away')
        }),
    }
    const broken: CatalogApplication = catalogApplication({ store: failing, clock: systemClock })
    const [sub] = catalogSubscriptions(broken)
    const e = envelope({
      type: 'order.placed',
      data: { order_id: 2, user_id: crypto.randomUUID(), items: [{ product_id: productId, quantity: 1 }] },
    })
    const thrown = await sub!.handler(e).then(
      () => undefined,
      (x: Error) => x.message,
    )
    expect(thrown).toBe('database went away')
    expect(await stock()).toBe(3)
    // once the database is back, the retried delivery goes through
    await catalogSubscriptions(core)[0]!.handler(e)
    expect(await stock()).toBe(2)
  })
})
