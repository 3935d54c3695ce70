import { describe, expect, test } from 'bun:test'
import { Hono } from 'hono'
import { authenticate } from '../src/http/auth.ts'
import { signAccessToken } from '../src/http/jwt.ts'
import { userEvent } from '../testing/fixtures.ts'
import { memoryUserReplica } from '../src/memory/user-replica.ts'

/**
 * The JWT middleware of catalog and order: a token issued (`iat`) before the user's cut-off in
 * the replica (tokens_valid_after of the newest user.* event) is refused, a later one accepted.
 */
const secret = 'a-secret-of-at-least-32-bytes-for-tests'
describe('revoked tokens in a service with a user replica', () => {
  test('refused once the user.updated carrying the cut-off is applied; later tokens accepted', async () => {
    const replica = memoryUserReplica()
    const app = new Hono()
    app.onError((e, c) => c.json({ error: e.message }, (e as { status?: 401 }).status ?? 500))
    app.get('/me', authenticate({ secret, lookup: replica.lookup }), (c) => c.json({ ok: true }))
    const user = { id: crypto.randomUUID(), username: 'bob', role: 'USER' as const }
    const at = (s: number) => signAccessToken(secret, user, s, 1800)
    const get = async (token: string) =>
      (await app.request('/me', { headers: { Authorization: `Bearer ${token}` } })).status
    const now = Math.floor(Date.now() / 1000)
    const old = await at(now - 10)
    await replica.apply(userEvent('user.created', user.id, 1))
    expect(await get(old)).toBe(200)
    const cutoff = new Date((now - 5) * 1000).toISOString()
    await replica.apply(userEvent('user.updated', user.id, 2, 'USER', 'bob', cutoff))
    expect(await get(old)).toBe(401)
    // issued in the very second of the cut-off, or after: accepted
    expect(await get(await at(now - 5))).toBe(200)
    expect(await get(await at(now))).toBe(200)
    expect(await get(await at(now - 6))).toBe(401)
  })
})
