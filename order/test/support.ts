import type { Result } from '@shop/shared-kernel/result'
import type { Envelope, EventMap, EventType } from '@shop/shared-kernel/event-types'
import { silentLogger } from '@shop/shared-kernel/log'
import type { ServiceMetrics } from '@shop/shared-kernel/observability/metrics'
import { call, type CallOptions, tokenFactory } from '@shop/shared-kernel/testing/http'
import { orderHttp } from '../src/adapters/http/app.ts'
import { memoryOrderStore } from '../src/adapters/memory/store.ts'
import { observeSaga, orderMetrics } from '../src/adapters/metrics.ts'
import { type OrderApplication, orderApplication } from '../src/app/application.ts'
import type { OrderStore } from '../src/ports.ts'

/** The value of an ok result; fails the test with the error otherwise. */
export function must<T>(r: Result<T, unknown>): T {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.error)}`)
  return r.value
}

export const SECRET = 'test-secret-that-is-at-least-32-bytes-long'

/** A received event, as the bus would hand it over. */
export function envelope<T extends EventType>(type: T, data: EventMap[T], o: { id?: string; correlationId?: string | null } = {}): Envelope<T> {
  return ({
    id: o.id ?? crypto.randomUUID(),
    type,
    version: 1,
    occurred_at: new Date().toISOString(),
    source: type.startsWith('user.') ? 'auth' : 'catalog',
    correlation_id: o.correlationId ?? null,
    data,
  }) as Envelope<T>
}

/** A clock that moves one millisecond per reading: "newest first" is then deterministic. */
export function steppingClock(start = Date.UTC(2026, 0, 1)) {
  let t = start
  return { now: () => new Date(t++) }
}

let productIds = 1000
export const nextProductId = () => ++productIds

/** Seeds the replica the way the catalog's events would. */
export async function seedProduct(orders: OrderApplication, p: { id?: number; name?: string; price?: string; stock?: number; version?: number } = {}) {
  const id = p.id ?? nextProductId()
  const data = { id, name: p.name ?? `product ${id}`, price: p.price ?? '10.00', stock: p.stock ?? 100, category_id: 1, version: p.version ?? 1 }
  await orders.events.applyProductEvent(envelope('product.created', data))
  return data
}

export async function deleteProduct(orders: OrderApplication, id: number, version = 100) {
  await orders.events.applyProductEvent(envelope('product.deleted', { id, version }))
}

/** The order HTTP app on a store (memory by default) with real JWTs. */
export function orderTestApp(o: { store?: OrderStore; bodyLimit?: number; metrics?: ServiceMetrics } = {}) {
  const store = o.store ?? memoryOrderStore()
  const clock = steppingClock()
  const orders = observeSaga(orderApplication({ store, clock }), store.orders, clock, o.metrics && orderMetrics(o.metrics))
  const app = orderHttp({ application: orders, secret: SECRET, service: 'order', log: silentLogger, bodyLimit: o.bodyLimit ?? 1024 * 1024, ready: {}, metrics: o.metrics })
  const tokens = tokenFactory(SECRET)
  const req = (method: string, path: string, opts?: CallOptions) => call(app, method, path, opts)
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
    reserve: (orderId: number) => orders.events.onStockReserved({ order_id: orderId }, { eventId: crypto.randomUUID(), correlationId: null }),
    reject: (orderId: number, productIds: number[] = [], reason = 'insufficient stock') =>
      orders.events.onStockRejected({ order_id: orderId, reason, product_ids: productIds }, { eventId: crypto.randomUUID(), correlationId: null }),
  }
}

export const expectProblemShape = (r: { status: number; headers: Headers; body: any }, status: number, code?: string) => {
  const problems: string[] = []
  if (r.status !== status) problems.push(`status ${r.status} != ${status}: ${JSON.stringify(r.body)}`)
  if (!(r.headers.get('Content-Type') ?? '').includes('application/problem+json')) problems.push('not problem+json')
  if (r.body?.status !== status) problems.push('body.status')
  if (r.body?.type !== 'about:blank') problems.push('body.type')
  if (typeof r.body?.title !== 'string' || typeof r.body?.detail !== 'string') problems.push('title/detail')
  if (code && r.body?.code !== code) problems.push(`code ${r.body?.code} != ${code}`)
  return problems
}
