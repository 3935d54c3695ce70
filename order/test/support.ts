import type { Envelope, EventMap, EventType } from '@shop/kernel/events'
import type { ServiceMetrics } from '@shop/platform/observability/metrics'
import { caller, TEST_SECRET, testHttpOptions, tokenFactory } from '@shop/platform/testing/http'
import { orderSubscriptions, replicaProduct } from '../src/adapters/events/consumers.ts'
import { orderHttp } from '../src/adapters/http/routes.ts'
import { memoryOrderStore } from '../src/adapters/memory/store.ts'
import { observeSaga, orderMetrics } from '../src/adapters/metrics.ts'
import { type OrderApplication, orderApplication } from '../src/app/application.ts'
import type { OrderStore } from '../src/ports.ts'

/** The value of an ok result; fails the test with the error otherwise. */
import { must, steppingClock } from '@shop/platform/testing/fixtures'

export { must, steppingClock }

export const SECRET = TEST_SECRET

/** A received event, as the bus would hand it over. */
export function envelope<T extends EventType>(
  type: T,
  data: EventMap[T],
  o: { id?: string; correlationId?: string | null } = {},
): Envelope<T> {
  return {
    id: o.id ?? crypto.randomUUID(),
    type,
    version: 1,
    occurred_at: new Date().toISOString(),
    source: type.startsWith('user.') ? 'auth' : 'catalog',
    correlation_id: o.correlationId ?? null,
    data,
  } as Envelope<T>
}

/** Hands a product.* event to the replica as the order.products consumer does. */
export const applyProduct = (
  orders: OrderApplication,
  e: Envelope<'product.created' | 'product.updated' | 'product.deleted'>,
) => orders.events.applyProductEvent(e.type, replicaProduct(e), { eventId: e.id, correlationId: e.correlation_id })

/** Hands any consumed event to the order service's consumers (adapters/events), as the bus would. */
export function deliver(orders: OrderApplication, e: Envelope): Promise<void> {
  const consumer = orderSubscriptions(orders, { apply: async () => true }).find((s) => s.topics.includes(e.type))
  if (!consumer) throw new Error(`order consumes no ${e.type}`)
  return consumer.handler(e)
}

let productIds = 1000
export const nextProductId = () => ++productIds

/** Seeds the replica the way the catalog's events would. */
/** A product.created as the catalog publishes it (defaults: a fresh id, 10.00, 100 in stock, version 1). */
export function productCreated(
  p: { id?: number; name?: string; price?: string; stock?: number; sku?: string | null; version?: number } = {},
) {
  const id = p.id ?? nextProductId()
  return envelope('product.created', {
    id,
    name: p.name ?? `product ${id}`,
    price: p.price ?? '10.00',
    stock: p.stock ?? 100,
    category_id: 1,
    sku: p.sku ?? null,
    version: p.version ?? 1,
  })
}

/** A product the order service knows (its product.created applied); its data. */
export async function seedProduct(orders: OrderApplication, p: Parameters<typeof productCreated>[0] = {}) {
  const e = productCreated(p)
  await applyProduct(orders, e)
  return e.data
}

export async function deleteProduct(orders: OrderApplication, id: number, version = 100) {
  await applyProduct(orders, envelope('product.deleted', { id, version }))
}

/** The order HTTP app on a store (memory by default) with real JWTs. */
export function orderTestApp(o: { store?: OrderStore; bodyLimit?: number; metrics?: ServiceMetrics } = {}) {
  const store = o.store ?? memoryOrderStore()
  const clock = steppingClock()
  const orders = observeSaga(
    orderApplication({ store, clock }),
    store.orders,
    clock,
    o.metrics && orderMetrics(o.metrics),
  )
  const app = orderHttp({ ...testHttpOptions('order', o), application: orders })
  const tokens = tokenFactory(SECRET)
  const req = caller(app)
  let n = 0
  return {
    app,
    orders,
    store,
    req,
    tokens,
    /** Events committed so far (memory store only). */
    get published(): Envelope[] {
      return (store as { published?: Envelope[] }).published ?? []
    },
    async user(role: 'USER' | 'ADMIN' = 'USER') {
      const id = crypto.randomUUID()
      const username = `u${++n}`
      return { id, username, role, token: await tokens.valid({ id, username, role }) }
    },
    product: (p: Parameters<typeof seedProduct>[1] = {}) => seedProduct(orders, p),
    /** Places an order through HTTP and returns its body. */
    async order(token: string, items: { product_id: number; quantity: number }[], extra: Record<string, unknown> = {}) {
      const r = await req('POST', '/api/v1/order', { token, body: { items, ...extra } })
      if (r.status !== 201) throw new Error(`order failed: ${r.status} ${r.text}`)
      return r.body
    },
    reserve: (orderId: number) =>
      orders.events.onStockReserved({ orderId }, { eventId: crypto.randomUUID(), correlationId: null }),
    reject: (orderId: number, productIds: number[] = [], reason = 'insufficient stock') =>
      orders.events.onStockRejected(
        { orderId, reason, productIds },
        { eventId: crypto.randomUUID(), correlationId: null },
      ),
  }
}

/** Order lines as a client sends them: `orderItems([a.id, 2], [b.id, 1])` is 2 of product a and 1 of b. */
export const orderItems = (...lines: readonly (readonly [productId: number, quantity: number])[]) =>
  lines.map(([product_id, quantity]) => ({ product_id, quantity }))
