import { describe, expect, test } from 'bun:test'
import { createMetrics } from '@shop/platform/observability/metrics'
import { requestsBetween, sample } from '@shop/platform/testing/metrics'
import { catalogTestApp } from './support.ts'

/** GET /metrics of catalog after known traffic: the request histogram moved by exactly that, by route template. */
describe('catalog metrics', () => {
  test('product reads, misses, listings and writes are counted under their route templates', async () => {
    const t = catalogTestApp({ metrics: createMetrics('catalog') })
    const before = (await t.req('GET', '/metrics')).text
    const cat = await t.category('Tools')
    const a = await t.product('Hammer', cat.id)
    const b = await t.product('Saw', cat.id)
    for (const id of [a.id, b.id, a.id, b.id]) expect((await t.req('GET', `/api/v1/product/${id}`)).status).toBe(200)
    expect((await t.req('GET', '/api/v1/product/999999')).status).toBe(404)
    expect((await t.req('GET', '/api/v1/product/not-a-number')).status).toBe(422)
    expect((await t.req('GET', `/api/v1/products?category_id=${cat.id}`)).status).toBe(200)
    expect(
      (await t.req('POST', '/api/v1/product', { body: { name: 'x', price: '1.00', category_id: cat.id } })).status,
    ).toBe(401)
    const after = (await t.req('GET', '/metrics')).text

    expect(sample(after, 'http_server_request_duration_seconds_count', { service: 'catalog' })).toBeGreaterThan(0)
    const expected = {
      'GET /api/v1/product/:id 200': 4,
      'GET /api/v1/product/:id 404': 1,
      'GET /api/v1/product/:id 422': 1,
      'GET /api/v1/products 200': 1,
      'POST /api/v1/product 201': 2,
      'POST /api/v1/product 401': 1,
      'POST /api/v1/category 201': 1,
    }
    expect(requestsBetween(before, after, Object.keys(expected))).toEqual(expected)
    const bucket = (text: string, le: string) =>
      sample(text, 'http_server_request_duration_seconds_bucket', {
        http_route: '/api/v1/product/:id',
        http_response_status_code: '200',
        le,
      })
    expect(bucket(after, '+Inf') - bucket(before, '+Inf')).toBe(4)
    // cumulative buckets: never more below a bound than below a larger one
    expect(bucket(after, '0.001')).toBeLessThanOrEqual(bucket(after, '0.01'))
    expect(after).not.toContain('/api/v1/product/999999')
  })
})
