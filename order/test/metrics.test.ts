import { describe, expect, test } from 'bun:test'
import { createMetrics } from '@shop/platform/observability/metrics'
import { requestCount, sample } from '@shop/platform/testing/metrics'
import { deliver, envelope, orderTestApp } from './support.ts'

/** GET /metrics of order after known traffic: requests by route template, the saga by final status. */
describe('order metrics', () => {
  test(
    'orders placed and read are counted by route template; each ' +
      'saga end once, by final status, however often its answer comes',
    async () => {
      const t = orderTestApp({ metrics: createMetrics('order') })
      const u = await t.user()
      const p = await t.product({ stock: 10 })
      const placed = []
      for (let i = 0; i < 3; i++) placed.push(await t.order(u.token, [{ product_id: p.id, quantity: 1 }]))
      for (const o of placed) expect((await t.req('GET', `/api/v1/order/${o.id}`, { token: u.token })).status).toBe(200)
      expect((await t.req('GET', '/api/v1/order/987654', { token: u.token })).status).toBe(404)
      expect((await t.req('POST', '/api/v1/order', { token: u.token, body: { items: [] } })).status).toBe(422)

      const reserved = [
        envelope('stock.reserved', { order_id: placed[0].id }),
        envelope('stock.reserved', { order_id: placed[1].id }),
      ]
      const rejected = envelope('stock.rejected', {
        order_id: placed[2].id,
        reason: 'INSUFFICIENT_STOCK',
        product_ids: [p.id],
      })
      for (const e of [...reserved, reserved[0]!, rejected, rejected]) await deliver(t.orders, e)
      // an answer for an order that is no longer waiting changes nothing and is no saga end
      const late = envelope('stock.reserved', { order_id: placed[2].id })
      await deliver(t.orders, late)

      const text = (await t.req('GET', '/metrics')).text
      const requests = (method: string, route: string, status: string) => requestCount(text, method, route, status)
      expect(sample(text, 'http_server_request_duration_seconds_count', { service: 'order' })).toBeGreaterThan(0)
      expect(requests('POST', '/api/v1/order', '201')).toBe(3)
      expect(requests('POST', '/api/v1/order', '422')).toBe(1)
      expect(requests('GET', '/api/v1/order/:id', '200')).toBe(3)
      expect(requests('GET', '/api/v1/order/:id', '404')).toBe(1)

      expect(sample(text, 'shop_order_saga_duration_seconds_count', { status: 'confirmed' })).toBe(2)
      expect(sample(text, 'shop_order_saga_duration_seconds_count', { status: 'rejected' })).toBe(1)
      expect(sample(text, 'shop_order_saga_duration_seconds_bucket', { status: 'confirmed', le: '+Inf' })).toBe(2)
      // the test clock moves 1 ms per reading: placed → answered is a few ms, never negative
      const sum = sample(text, 'shop_order_saga_duration_seconds_sum', { status: 'confirmed' })
      expect(sum).toBeGreaterThan(0)
      expect(sum).toBeLessThan(1)
      expect((await t.req('GET', `/api/v1/order/${placed[0].id}`, { token: u.token })).body.status).toBe('confirmed')
    },
  )
})
