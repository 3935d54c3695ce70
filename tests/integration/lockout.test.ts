import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { request } from 'node:http'
import { ADMIN, api, type Shop, startShop, useServers } from './harness.ts'

/**
 * No lockout of the owner by strangers, on the real auth process and PostgreSQL, from real source
 * addresses (127.0.0.x all bind on Linux; fetch cannot choose its local address, node:http can).
 * Ten addresses × five wrong passwords exhaust the admin's limit across addresses (50, the
 * default): the admin's right password still works from an address it logged in from before,
 * also after a restart; from an address it never used, it waits out the window like the attackers.
 */
const run = await useServers()
let shop: Shop

/** POST /api/v1/auth/login from `from` (a loopback address), no proxy: the peer address is the client's. */
function loginFrom(from: string, username: string, password: string): Promise<{ status: number; retryAfter: number }> {
  const url = new URL('/api/v1/auth/login', shop.auth.url)
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress: from,
        headers: { 'Content-Type': 'application/json' },
      },
      (res) => {
        res.resume()
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, retryAfter: Number(res.headers['retry-after'] ?? 0) }),
        )
      },
    )
    req.on('error', reject)
    req.end(JSON.stringify({ username, password }))
  })
}

describe.skipIf(!run)('no lockout of the owner (real processes, real source addresses)', () => {
  beforeAll(async () => {
    // the default login limits: 5 per (account, address), 20 per address, 50 per account
    shop = await startShop({
      env: {
        auth: {
          LOGIN_MAX_FAILURES: '5',
          LOGIN_MAX_FAILURES_PER_ADDRESS: '20',
          LOGIN_MAX_FAILURES_PER_ACCOUNT: '50',
        },
      },
    })
  }, 90_000)
  afterAll(async () => {
    await shop?.stop()
  })

  test('ten addresses × five wrong passwords: the admin logs in from a known address, not a new one', async () => {
    // The admin's own address: a successful login makes it known.
    expect((await loginFrom('127.0.0.1', ADMIN.username, ADMIN.password)).status).toBe(200)
    const attackers = Array.from({ length: 10 }, (_, i) => `127.0.0.${i + 2}`)
    for (const from of attackers)
      for (let i = 0; i < 5; i++) expect((await loginFrom(from, ADMIN.username, `wrong-${from}-${i}`)).status).toBe(401)
    // The attackers are held: their own pairs, and the account's limit across addresses.
    const attacker = await loginFrom('127.0.0.2', ADMIN.username, 'one-more-guess')
    expect(attacker.status).toBe(429)
    expect(attacker.retryAfter).toBeGreaterThan(0)
    const elsewhere = await loginFrom('127.0.0.12', ADMIN.username, 'a-new-address-guess')
    expect(elsewhere.status).toBe(429)
    // The right password from an address the admin never used is limited too...
    const unknown = await loginFrom('127.0.0.13', ADMIN.username, ADMIN.password)
    expect(unknown.status).toBe(429)
    expect(unknown.retryAfter).toBeGreaterThan(0)
    // ...but not from the known one, where only its own counter (untouched) applies.
    expect((await loginFrom('127.0.0.1', ADMIN.username, ADMIN.password)).status).toBe(200)

    // Known addresses and counters are in PostgreSQL: both survive a restart.
    await shop.auth.stop()
    await shop.auth.start()
    expect((await loginFrom('127.0.0.1', ADMIN.username, ADMIN.password)).status).toBe(200)
    expect((await loginFrom('127.0.0.14', ADMIN.username, ADMIN.password)).status).toBe(429)
  }, 90_000)

  test('a known address is still held to its own per-(account, address) limit', async () => {
    // The same address guessing wrong five times is stopped, even where the owner logged in before.
    const user = { username: 'owner', password: 'owner-password-1' }
    const reg = await api(shop.auth.url, 'POST', '/api/v1/auth/register', {
      body: { ...user, email: 'owner@example.com' },
    })
    expect(reg.status).toBe(201)
    const from = '127.0.0.20'
    expect((await loginFrom(from, user.username, user.password)).status).toBe(200)
    for (let i = 0; i < 5; i++) expect((await loginFrom(from, user.username, `wrong-${i}`)).status).toBe(401)
    expect((await loginFrom(from, user.username, user.password)).status).toBe(429)
    // another address the owner used before is not affected
    expect((await loginFrom('127.0.0.21', user.username, user.password)).status).toBe(200)
  }, 60_000)
})
