import { describe, expect, test } from 'bun:test'
import { createMetrics } from '@shop/platform/observability/metrics'
import { requestsBetween, sample } from '@shop/platform/testing/metrics'
import { authTestApp } from './support.ts'

/** GET /metrics of auth after known traffic: exactly what was done, by route template and outcome. */
describe('auth metrics', () => {
  test('requests by route template and status, logins by outcome (success, failure, throttled)', async () => {
    const t = authTestApp({ metrics: createMetrics('auth'), maxFailures: 2 })
    const scrape = async () => {
      const r = await t.req('GET', '/metrics')
      expect(r.status).toBe(200)
      return r.text
    }
    const before = await scrape()
    const u = await t.user() // one register, one login
    const login = (password: string) =>
      t.req('POST', '/api/v1/auth/login', { body: { username: u.username, password } })
    expect((await login(u.password)).status).toBe(200)
    expect((await login('wrong-password')).status).toBe(401)
    expect((await login('wrong-password')).status).toBe(401)
    expect((await login(u.password)).status).toBe(429) // two failures: the account waits
    expect((await login(u.password)).status).toBe(429)
    for (let i = 0; i < 3; i++) expect((await t.req('GET', '/api/v1/users/me', { token: u.token })).status).toBe(200)
    const admin = await t.user('ADMIN')
    expect(
      (await t.req('PUT', `/api/v1/users/${u.id}/role`, { token: admin.token, body: { role: 'ADMIN' } })).status,
    ).toBe(200)
    expect(
      (await t.req('PUT', `/api/v1/users/${crypto.randomUUID()}/role`, { token: admin.token, body: { role: 'ADMIN' } }))
        .status,
    ).toBe(404)
    expect((await t.req('GET', '/api/v1/nothing/here')).status).toBe(404)
    const after = await scrape()

    const moved = (name: string, labels: Record<string, string>) =>
      sample(after, name, labels) - sample(before, name, labels)
    expect(sample(after, 'http_server_request_duration_seconds_count', { service: 'auth' })).toBeGreaterThan(0)
    const expected = {
      'POST /api/v1/auth/register 201': 2,
      'POST /api/v1/auth/login 200': 3, // two users' logins, one retry
      'POST /api/v1/auth/login 401': 2,
      'POST /api/v1/auth/login 429': 2,
      'GET /api/v1/users/me 200': 3,
      'PUT /api/v1/users/:id/role 200': 1,
      'PUT /api/v1/users/:id/role 404': 1,
      'GET unmatched 404': 1,
      'GET /metrics 200': 1, // the first scrape (the second is counted after it answered)
    }
    expect(requestsBetween(before, after, Object.keys(expected))).toEqual(expected)
    expect(moved('http_server_request_duration_seconds_bucket', { http_route: '/api/v1/users/me', le: '+Inf' })).toBe(3)
    expect(after).not.toContain(u.id)

    expect(moved('shop_auth_logins_total', { outcome: 'success' })).toBe(3)
    expect(moved('shop_auth_logins_total', { outcome: 'failure' })).toBe(2)
    expect(moved('shop_auth_logins_total', { outcome: 'throttled' })).toBe(2)
  })

  test('without metrics there is no /metrics (404) and nothing counted', async () => {
    const t = authTestApp()
    expect((await t.req('GET', '/metrics')).status).toBe(404)
  })
})
