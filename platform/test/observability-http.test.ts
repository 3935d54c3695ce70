import { describe, expect, test } from 'bun:test'
import { Hono } from 'hono'
import { httpTelemetry, serveMetrics } from '../src/http/middleware/telemetry.ts'
import { createMetrics } from '../src/observability/metrics.ts'
import { traced } from '../src/observability/tracing.ts'
import { requestCount, sample } from '../testing/metrics.ts'
import { useTracing } from '../testing/tracing.ts'

function app(token?: string) {
  const metrics = createMetrics('svc')
  const a = new Hono()
  a.use('*', httpTelemetry(metrics))
  a.use('*', async (_c, next) => next()) // another middleware, registered for ALL
  a.get('/items/:id', (c) => c.json({ id: c.req.param('id') }))
  a.post('/items', (c) => c.json({}, 201))
  const sub = new Hono()
  sub.get('/thing/:name/parts', (c) => c.text('ok'))
  a.route('/api/v1', sub)
  a.get('/boom', () => {
    throw new Error('boom')
  })
  a.onError((_e, c) => c.text('failed', 500))
  serveMetrics(a, { metrics, token })
  return { a, metrics }
}

const count = requestCount

describe('HTTP metrics', () => {
  test(
    'the duration histogram moves by exactly the requests made, ' + 'labelled with route templates, never raw paths',
    async () => {
      const { a, metrics } = app()
      for (const id of ['1', '2', '3']) expect((await a.request(`/items/${id}`)).status).toBe(200)
      await a.request('/items', { method: 'POST' })
      await a.request('/api/v1/thing/x/parts')
      await a.request('/api/v1/thing/y/parts')
      await a.request('/nowhere/at/all')
      await a.request('/boom')
      const text = await metrics.expose()
      expect(count(text, 'GET', '/items/:id', '200')).toBe(3)
      expect(count(text, 'POST', '/items', '201')).toBe(1)
      expect(count(text, 'GET', '/api/v1/thing/:name/parts', '200')).toBe(2)
      expect(count(text, 'GET', 'unmatched', '404')).toBe(1)
      expect(count(text, 'GET', '/boom', '500')).toBe(1)
      expect(
        sample(text, 'http_server_request_duration_seconds_bucket', { http_route: '/items/:id', le: '+Inf' }),
      ).toBe(3)
      expect(sample(text, 'http_server_request_duration_seconds_sum', { http_route: '/items/:id' })).toBeGreaterThan(0)
      expect(text).not.toContain('/items/1')
      expect(text).not.toContain('/nowhere')
      // The scrape itself is counted from the next one on.
      expect(count(await metrics.expose(), 'GET', '/metrics', '200')).toBe(0)
      await a.request('/metrics')
      expect(count(await metrics.expose(), 'GET', '/metrics', '200')).toBe(1)
    },
  )

  test('GET /metrics serves the Prometheus text format; with a token it needs that bearer', async () => {
    const open = app().a
    const res = await open.request('/metrics')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toContain('text/plain; version=0.0.4')
    expect(await res.text()).toContain('# TYPE http_server_request_duration_seconds histogram')

    const locked = app('a-metrics-token-of-some-length').a
    for (const auth of [
      undefined,
      'Bearer wrong',
      'Bearer a-metrics-token-of-some-lengthX',
      'a-metrics-token-of-some-length',
    ]) {
      const r = await locked.request('/metrics', auth ? { headers: { Authorization: auth } } : {})
      expect(r.status).toBe(401)
      expect(r.headers.get('Content-Type')).toBe('application/problem+json')
      expect(r.headers.get('WWW-Authenticate')).toContain('Bearer')
    }
    const ok = await locked.request('/metrics', { headers: { Authorization: 'Bearer a-metrics-token-of-some-length' } })
    expect(ok.status).toBe(200)
  })
})

describe('HTTP and use-case spans', () => {
  const exporter = useTracing('svc')

  test(
    'an incoming traceparent is continued; ' + 'without one a trace starts; the span is named by the route template',
    async () => {
      exporter.reset()
      const core = traced('svc', {
        async find(id: string) {
          return { id }
        },
        sync: () => 42,
      })
      const { a } = app()
      a.get('/core/:id', async (c) => c.json(await core.find(c.req.param('id'))))
      const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
      await a.request('/core/7', { headers: { traceparent: incoming } })
      await a.request('/items/5')
      await a.request('/items/6', { headers: { traceparent: 'garbage' } })
      expect(core.sync()).toBe(42)
      const spans = exporter.getFinishedSpans()
      const server = spans.find((s) => s.name === 'GET /core/:id')!
      expect(server.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736')
      expect(server.parentSpanContext?.spanId).toBe('00f067aa0ba902b7')
      expect(server.attributes).toMatchObject({
        'http.route': '/core/:id',
        'http.response.status_code': 200,
        'http.request.method': 'GET',
      })
      const useCase = spans.find((s) => s.name === 'svc.find')!
      expect(useCase.parentSpanContext?.spanId).toBe(server.spanContext().spanId)
      const fresh = spans.filter((s) => s.name === 'GET /items/:id')
      expect(fresh).toHaveLength(2)
      for (const s of fresh) {
        expect(s.parentSpanContext).toBeUndefined()
        expect(s.spanContext().traceId).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736')
      }
      expect(spans.some((s) => s.name === 'svc.sync')).toBe(true)
    },
  )
})
