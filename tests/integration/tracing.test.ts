import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '@shop/platform/testing/otlp-receiver'
import { consumedCount, sample } from '@shop/platform/testing/metrics'
import { api, eventually, type Shop, startShop, useServers, adminToken, categoryId } from './harness.ts'

/**
 * One order, one trace, across three processes: the three services export their spans over
 * OTLP/HTTP to a receiver inside this test. The order's HTTP request, its outbox publish, the
 * catalog's consume and reservation, the catalog's answer and the order's consume of it must
 * share one trace id, each span the child of the one before; and the catalog's log lines for that
 * reservation carry the trace id.
 */
const run = await useServers()
let shop: Shop
let receiver: OtlpReceiver

const SERVER = 2
const PRODUCER = 4
const CONSUMER = 5

describe.skipIf(!run)('traces and metrics on real processes', () => {
  let admin = ''
  let productId = 0

  beforeAll(async () => {
    receiver = startOtlpReceiver()
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }
    shop = await startShop({ env: { auth: otel, catalog: { ...otel, LOG_LEVEL: 'debug' }, order: otel } })
    admin = await adminToken(shop.auth.url)
    const category = await categoryId(shop.catalog.url, admin, 'Traced')
    productId = (
      await api(shop.catalog.url, 'POST', '/api/v1/product', {
        token: admin,
        body: { name: 'Traced thing', price: '3.00', stock: 10, category_id: category },
      })
    ).body.id
  }, 90_000)
  afterAll(async () => {
    await shop?.stop()
    receiver?.stop()
  })

  test("one order's placement, reservation and confirmation are one trace, " +
    'each span the child of the one before', async () => {
    // The order replica learns the product from product.created; until then the order is 422.
    const placed = await eventually(async () => {
      const r = await api(shop.order.url, 'POST', '/api/v1/order', {
        token: admin,
        body: { items: [{ product_id: productId, quantity: 2 }] },
      })
      return r.status === 201 ? r : undefined
    }, 'product in the order replica')
    const orderId = placed.body.id as number
    await eventually(
      async () =>
        (await api(shop.order.url, 'GET', `/api/v1/order/${orderId}`, { token: admin })).body.status === 'confirmed',
      'order confirmed',
    )

    const chain = await receiver.waitFor((spans) => {
      const request = spans.find(
        (s) =>
          s.service === 'order' &&
          s.kind === SERVER &&
          s.name === 'POST /api/v1/order' &&
          s.attributes['http.response.status_code'] === 201,
      )
      if (!request) return undefined
      const trace = spans.filter((s) => s.traceId === request.traceId)
      const publishPlaced = trace.find(
        (s) => s.service === 'order' && s.kind === PRODUCER && s.name === 'publish order.placed',
      )
      const consumePlaced = trace.find(
        (s) => s.service === 'catalog' && s.kind === CONSUMER && s.name === 'process order.placed',
      )
      const reserve = trace.find((s) => s.service === 'catalog' && s.name === 'catalog.reserveStock')
      const publishReserved = trace.find(
        (s) => s.service === 'catalog' && s.kind === PRODUCER && s.name === 'publish stock.reserved',
      )
      const consumeReserved = trace.find(
        (s) => s.service === 'order' && s.kind === CONSUMER && s.name === 'process stock.reserved',
      )
      if (!publishPlaced || !consumePlaced || !reserve || !publishReserved || !consumeReserved) return undefined
      return { request, trace, publishPlaced, consumePlaced, reserve, publishReserved, consumeReserved }
    })
    const byId = new Map(chain.trace.map((s) => [s.spanId, s]))
    /** Whether `ancestor` is on the parent chain of `span` (same trace, same or another process). */
    const descends = (span: ReceivedSpan, ancestor: ReceivedSpan): boolean => {
      for (let s: ReceivedSpan | undefined = byId.get(span.parentSpanId); s; s = byId.get(s.parentSpanId))
        if (s.spanId === ancestor.spanId) return true
      return false
    }
    expect(chain.request.parentSpanId).toBe('')
    // order: the request → the use case → its transaction (which wrote the outbox row) → the publish
    expect(descends(chain.publishPlaced, chain.request)).toBe(true)
    expect(byId.get(chain.publishPlaced.parentSpanId)?.name).toBe('db transaction')
    // over RabbitMQ: the catalog's consume is the child of the publish (the traceparent header)
    expect(chain.consumePlaced.parentSpanId).toBe(chain.publishPlaced.spanId)
    expect(chain.reserve.parentSpanId).toBe(chain.consumePlaced.spanId)
    expect(descends(chain.publishReserved, chain.reserve)).toBe(true)
    expect(chain.consumeReserved.parentSpanId).toBe(chain.publishReserved.spanId)
    expect(chain.consumeReserved.attributes['shop.consume.outcome']).toBe('applied')
    // one trace id for all of it
    expect(
      new Set(
        [
          chain.request,
          chain.publishPlaced,
          chain.consumePlaced,
          chain.reserve,
          chain.publishReserved,
          chain.consumeReserved,
        ].map((s) => s.traceId),
      ).size,
    ).toBe(1)

    // The catalog's log lines for that reservation carry the trace id and one of its own spans.
    const catalogSpans = new Set(chain.trace.filter((s) => s.service === 'catalog').map((s) => s.spanId))
    const lines = shop.catalog.logs().filter((l) => l.trace_id === chain.request.traceId)
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.some((l) => l.msg === 'event processed' && l.type === 'order.placed')).toBe(true)
    for (const l of lines) expect(catalogSpans.has(String(l.span_id))).toBe(true)
    // and the order's request log line carries it too
    expect(
      shop.order.logs().some((l) => l.msg === 'request' && l.trace_id === chain.request.traceId && l.method === 'POST'),
    ).toBe(true)
  }, 60_000)

  test('the saga histogram and the consumer outcomes are on /metrics of the real processes', async () => {
    const text = await (await fetch(`${shop.order.url}/metrics`)).text()
    expect(sample(text, 'shop_order_saga_duration_seconds_count', { status: 'confirmed' })).toBeGreaterThanOrEqual(1)
    expect(consumedCount(text, 'order.stock', 'applied')).toBeGreaterThanOrEqual(1)
    const catalog = await (await fetch(`${shop.catalog.url}/metrics`)).text()
    expect(consumedCount(catalog, 'catalog.orders', 'applied')).toBeGreaterThanOrEqual(1)
    expect(sample(catalog, 'shop_outbox_published_total')).toBeGreaterThanOrEqual(2)
    expect(
      sample(catalog, 'db_client_connection_count', { state: 'idle' }) +
        sample(catalog, 'db_client_connection_count', { state: 'used' }),
    ).toBeGreaterThanOrEqual(1)
    expect(sample(catalog, 'process_resident_memory_bytes')).toBeGreaterThan(0)
  }, 30_000)
})
