import { rawEnvelope } from '@shop/platform/testing/fixtures'
import { describe, expect, test } from 'bun:test'
import { MemoryBus } from '@shop/platform/bus/memory'
import { TEST_EVENT_KEYS as keys } from '@shop/platform/testing/event-keys'
import { memoryUserReplica } from '@shop/platform/memory/user-replica'
import { memoryCatalogStore } from '../catalog/src/adapters/memory/store.ts'
import { catalogTestApp } from '../catalog/test/support.ts'
import { orderSubscriptions } from '../order/src/adapters/events/consumers.ts'
import { orderTestApp } from '../order/test/support.ts'

/**
 * The catalog's product events reach the order service as the bus carries them (JSON text,
 * validated on the way in, the owner checked), in one process: the catalog over HTTP, its outbox
 * handed to the memory bus, the order service's own consumers, then an order over HTTP.
 */
function shop() {
  const bus = new MemoryBus(keys.keyring)
  // Signed by the catalog (as its relay does), published in commit order.
  let published = Promise.resolve()
  const onEvents = (events: Parameters<typeof keys.sign>[0]) => {
    published = published.then(async () => bus.publish(await keys.sign(events)))
  }
  const settled = bus.settled.bind(bus)
  bus.settled = async () => {
    await published
    await settled()
  }
  const catalog = catalogTestApp({ store: memoryCatalogStore({ onEvents }) })
  const order = orderTestApp()
  for (const s of orderSubscriptions(order.orders, memoryUserReplica())) void bus.subscribe(s)
  return { bus, catalog, order }
}

describe('a product SKU travels from the catalog to the order service', () => {
  test("it reaches the order service's replica, and an order line keeps it as it was when written", async () => {
    const { bus, catalog, order } = shop()
    const c = await catalog.category('Travelling')
    const lamp = await catalog.product('Lamp', c.id, { sku: 'LAMP-1', price: '12.00', stock: 5 })
    const plain = await catalog.product('Plain', c.id, { price: '1.00', stock: 5 })
    await bus.settled()
    const replica = await order.store.products.byIds([lamp.id, plain.id])
    expect(replica.get(lamp.id)).toMatchObject({ deleted: false, name: 'Lamp', sku: 'LAMP-1' })
    expect(replica.get(plain.id)).toMatchObject({ deleted: false, sku: null })

    const u = await order.user()
    const placed = await order.order(u.token, [
      { product_id: lamp.id, quantity: 2 },
      { product_id: plain.id, quantity: 1 },
    ])
    expect(placed.items.map((l: { sku: string | null }) => l.sku)).toEqual(['LAMP-1', null])

    // a later change in the catalog reaches the replica, not the line already written
    await catalog.admin('PUT', `/api/v1/product/${lamp.id}`, { sku: 'LAMP-2' })
    await bus.settled()
    expect((await order.store.products.byIds([lamp.id])).get(lamp.id)).toMatchObject({ sku: 'LAMP-2' })
    const read = await order.req('GET', `/api/v1/order/${placed.id}`, { token: u.token })
    expect(read.body.items[0]).toMatchObject({ product_id: lamp.id, sku: 'LAMP-1' })
    const later = await order.order(u.token, [{ product_id: lamp.id, quantity: 1 }])
    expect(later.items[0].sku).toBe('LAMP-2')
    expect(bus.dead.size).toBe(0)
  })

  test('a product event published before SKUs existed (no sku at all) is still applied, as none', async () => {
    const { bus, order } = shop()
    const older = rawEnvelope('product.created', 'catalog', {
      id: 424_242,
      name: 'Old',
      price: '2.00',
      stock: 1,
      category_id: 1,
      version: 1,
    })
    const body = new TextEncoder().encode(JSON.stringify(older))
    bus.publishRaw('product.created', body, { signature: await keys.signers.catalog.sign(body) })
    await bus.settled()
    expect(bus.dead.size).toBe(0)
    expect((await order.store.products.byIds([424_242])).get(424_242)).toMatchObject({ name: 'Old', sku: null })
  })
})
