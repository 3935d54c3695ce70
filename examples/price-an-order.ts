/**
 * Embedding the shop's applications in a tool, with no server and no database: build a category tree
 * with the catalog application, then price an order with the order application. The two talk the way the
 * services do, through product.* events, here handed over in process.
 *
 *   bun examples/price-an-order.ts
 */
import { catalogApplication, memoryCatalogStore } from '@shop/catalog'
import { memoryOrderStore, orderApplication, orderSubscriptions } from '@shop/order'
import type { Envelope } from '@shop/kernel/events'

const clock = { now: () => new Date() }
const orders = orderApplication({ store: memoryOrderStore(), clock })
// The order service's own consumer of product.* events (no user replica here: no tokens to check).
const products = orderSubscriptions(orders, { apply: async () => true }).find((s) => s.name === 'products')
if (!products) throw new Error('the order service consumes no product events')
const delivered: Promise<unknown>[] = []
// The catalog's committed product events feed the order application's product replica.
const catalog = catalogApplication({
  store: memoryCatalogStore({
    onEvents: (events: Envelope[]) => {
      for (const e of events) if (products.topics.includes(e.type)) delivered.push(products.handler(e))
    },
  }),
  clock,
})

function must<T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!r.ok) throw new Error(`unexpected: ${JSON.stringify(r.error)}`)
  return r.value
}

// A three-level tree.
const garden = must(await catalog.commands.createCategory({ name: 'Garden' }))
const tools = must(await catalog.commands.createCategory({ name: 'Tools', parentId: garden.id }))
const hand = must(await catalog.commands.createCategory({ name: 'Hand tools', parentId: tools.id }))
const seeds = must(await catalog.commands.createCategory({ name: 'Seeds', parentId: garden.id }))
const trowel = must(
  await catalog.commands.createProduct({ name: 'Trowel', price: '12.90', stock: 40, categoryId: hand.id }),
)
const shears = must(
  await catalog.commands.createProduct({ name: 'Shears', price: '24.50', stock: 15, categoryId: hand.id }),
)
const basil = must(
  await catalog.commands.createProduct({ name: 'Basil seeds', price: '0.10', stock: 1000, categoryId: seeds.id }),
)
await Promise.all(delivered)

const tree = await catalog.queries.categoryTree({}, { limit: 100, offset: 0 })
const print = (nodes: readonly { name: string; level: number; children?: readonly unknown[] }[]): void => {
  for (const n of nodes) {
    console.log(`${'  '.repeat(n.level)}- ${n.name}`)
    print((n.children ?? []) as typeof nodes)
  }
}
console.log('category tree:')
print(tree.items as never)

// Price an order: lines for the same product are merged, totals are exact decimals.
const buyer = { id: '00000000-0000-4000-8000-000000000001', role: 'USER' as const }
const { order } = must(
  await orders.commands.placeOrder(buyer, {
    items: [
      { productId: trowel.id, quantity: 2 },
      { productId: basil.id, quantity: 3 },
      { productId: shears.id, quantity: 1 },
      { productId: trowel.id, quantity: 1 },
    ],
  }),
)
console.log('\norder:')
for (const l of order.items)
  console.log(
    `  ${l.name.padEnd(12)} ${String(l.quantity).padStart(3)} ` +
      `× ${l.unitPrice.padStart(6)} = ${l.lineTotal.padStart(7)}`,
  )
console.log(`  total ${order.totalQuantity} items: ${order.total}`)
