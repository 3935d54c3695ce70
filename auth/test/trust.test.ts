import { beforeAll, describe, expect, test } from 'bun:test'
import { adapterDatabases } from '@shop/platform/testing/databases'
import { MIGRATIONS } from '../src/main.ts'
import { memoryAuthStore } from '../src/adapters/memory/store.ts'
import { postgresAuthStore } from '../src/adapters/postgres/store.ts'
import type { AuthStore } from '../src/ports.ts'
import { authTestApp } from './support.ts'

/**
 * Login limits that hold under parallel requests (the attempt is counted before the password is
 * checked, atomically), no lockout of someone else, registration limits, bcrypt's 72 bytes, and
 * revocation (a password change, logout-all) at auth. Over every store: the atomicity is the
 * store's. The same races against real processes: tests/integration/trust.test.ts.
 */
function suite(name: string, make: () => Promise<AuthStore>) {
  describe(`auth trust: ${name}`, () => {
    let store: AuthStore
    beforeAll(async () => {
      store = await make()
    })
    const app = (o: Parameters<typeof authTestApp>[0] = {}) => authTestApp({ store, trustProxy: true, ...o })
    /** The app and one registered user of it. */
    const appWithUser = async (o: Parameters<typeof authTestApp>[0] = {}) => {
      const t = app(o)
      return { t, u: await t.user() }
    }
    const login = (t: ReturnType<typeof authTestApp>, username: string, password: string, from: string) =>
      t.req('POST', '/api/v1/auth/login', { body: { username, password }, headers: { 'X-Forwarded-For': from } })

    // The right password comes after the burst: one checked among the first five would give its attempt
    // back and make the address known, so later guesses could be checked (by design: its sender is in).
    test(
      '30 parallel guesses for one account: at most 5 are checked, the ' +
        'rest 429; the right password after them gets no token',
      async () => {
        const { t, u } = await appWithUser()
        const from = `198.51.100.${Math.floor(Math.random() * 200)}`
        const replies = await Promise.all(
          Array.from({ length: 30 }, (_, i) => login(t, u.username, `guess-${i}`, from)),
        )
        const checked = replies.filter((r) => r.status !== 429)
        expect(checked.length).toBeLessThanOrEqual(5)
        expect(replies.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(25)
        expect(replies.every((r) => [401, 429].includes(r.status))).toBe(true)
        const right = await login(t, u.username, u.password, from)
        expect(right.status).toBe(429)
        expect(right.body.access_token).toBeUndefined()
        console.log(`${name}: 30 parallel guesses for one account, ${checked.length} checked`)
      },
    )

    test('40 parallel usernames from one address: at most 20 are checked', async () => {
      const t = app()
      const from = `203.0.113.${Math.floor(Math.random() * 200)}`
      const replies = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          login(t, `spray_${crypto.randomUUID().slice(0, 8)}_${i}`, 'wrong-password', from),
        ),
      )
      const checked = replies.filter((r) => r.status === 401).length
      console.log(`${name}: 40 parallel usernames from one address, ${checked} checked`)
      expect(checked).toBeLessThanOrEqual(20)
      expect(replies.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(20)
    })

    test(
      'five wrong passwords from one address never stop the ' + 'right one from another (TRUST_PROXY, X-Forwarded-For)',
      async () => {
        const { t, u } = await appWithUser()
        for (let i = 0; i < 5; i++) expect((await login(t, u.username, `wrong-${i}`, '192.0.2.66')).status).toBe(401)
        const blocked = await login(t, u.username, u.password, '192.0.2.66')
        expect(blocked.status).toBe(429)
        expect(Number(blocked.headers.get('Retry-After'))).toBeGreaterThan(0)
        const other = await login(t, u.username, u.password, '192.0.2.77')
        expect(other.status).toBe(200)
        expect(other.body.access_token).toBeString()
      },
    )

    test('the per-account limit across addresses (10 × the per-pair one) stops distributed guessing', async () => {
      const { t, u } = await appWithUser()
      for (let a = 0; a < 10; a++) {
        for (let i = 0; i < 5; i++)
          expect((await login(t, u.username, `wrong-${a}-${i}`, `10.20.${a}.1`)).status).toBe(401)
      }
      expect((await login(t, u.username, u.password, '10.20.99.1')).status).toBe(429)
    })

    test('a right password gives its attempt back: an address logging in often is not limited by it', async () => {
      const { t, u } = await appWithUser({ maxPerAddress: 3 })
      const from = `10.30.${Math.floor(Math.random() * 200)}.1`
      for (let i = 0; i < 6; i++) expect((await login(t, u.username, u.password, from)).status).toBe(200)
      // failures still count, for an account this address is not known for
      const v = await t.user()
      for (let i = 0; i < 3; i++) expect((await login(t, v.username, 'wrong-password', from)).status).toBe(401)
      expect((await login(t, v.username, v.password, from)).status).toBe(429)
    })

    test("a right password forgets that address's failures for the account", async () => {
      const { t, u } = await appWithUser()
      const from = `10.31.${Math.floor(Math.random() * 200)}.1`
      for (let i = 0; i < 4; i++) expect((await login(t, u.username, 'wrong-password', from)).status).toBe(401)
      expect((await login(t, u.username, u.password, from)).status).toBe(200)
      for (let i = 0; i < 4; i++) expect((await login(t, u.username, 'wrong-password', from)).status).toBe(401)
      expect((await login(t, u.username, u.password, from)).status).toBe(200)
    })

    test('an address known for the account is held only to its own counter, not the across-addresses one', async () => {
      const { t, u } = await appWithUser()
      const home = `10.32.${Math.floor(Math.random() * 200)}.1`
      expect((await login(t, u.username, u.password, home)).status).toBe(200)
      for (let a = 0; a < 10; a++)
        for (let i = 0; i < 5; i++)
          expect((await login(t, u.username, `wrong-${a}-${i}`, `10.33.${a}.1`)).status).toBe(401)
      expect((await login(t, u.username, u.password, '10.33.99.1')).status).toBe(429)
      expect((await login(t, u.username, u.password, home)).status).toBe(200)
      // and the known address's own limit still holds
      for (let i = 0; i < 5; i++) expect((await login(t, u.username, 'wrong-password', home)).status).toBe(401)
      expect((await login(t, u.username, u.password, home)).status).toBe(429)
    })

    test('garbage X-Forwarded-For is no key: all of it is counted under the peer address', async () => {
      const t = app({ maxPerAddress: 3 })
      const replies = []
      for (let i = 0; i < 4; i++)
        replies.push(await login(t, `nobody_${crypto.randomUUID().slice(0, 8)}`, 'wrong', `garbage!!${i}`))
      expect(replies.map((r) => r.status)).toEqual([401, 401, 401, 429])
    })

    test('a password over 72 bytes is wrong credentials, never a match on its first 72', async () => {
      const t = app()
      const name = `long_${crypto.randomUUID().slice(0, 8)}`
      const password = 'p'.repeat(72)
      expect(
        (
          await t.req('POST', '/api/v1/auth/register', {
            body: { username: name, email: `${name}@example.com`, password },
          })
        ).status,
      ).toBe(201)
      expect((await login(t, name, password, '10.40.0.1')).status).toBe(200)
      const r = await login(t, name, `${password}extra`, '10.40.0.1')
      expect(r.status).toBe(401)
      expect(r.body.code).toBe('INVALID_CREDENTIALS')
    })

    test(
      'registrations are limited per client address: ' + '429 with Retry-After; another address still registers',
      async () => {
        const t = app({ maxRegistrations: 3 })
        const reg = (from: string) => {
          const name = `reg_${crypto.randomUUID().slice(0, 8)}`
          return t.req('POST', '/api/v1/auth/register', {
            body: { username: name, email: `${name}@example.com`, password: 'password-123' },
            headers: { 'X-Forwarded-For': from },
          })
        }
        const from = `10.50.${Math.floor(Math.random() * 200)}.1`
        for (let i = 0; i < 3; i++) expect((await reg(from)).status).toBe(201)
        const limited = await reg(from)
        expect(limited.status).toBe(429)
        expect(limited.body.code).toBe('TOO_MANY_REGISTRATIONS')
        expect(Number(limited.headers.get('Retry-After'))).toBeGreaterThan(0)
        expect((await reg(`${from}0`)).status).toBe(201)
      },
    )

    const refused = async (t: ReturnType<typeof authTestApp>, token: string) => {
      expect((await t.req('GET', '/api/v1/users/me', { token })).status).toBe(401)
      expect((await t.req('POST', '/api/v1/auth/verify', { body: { token } })).status).toBe(401)
      expect((await t.req('PUT', '/api/v1/users/me', { token, body: { full_name: 'x' } })).status).toBe(401)
      expect((await t.req('POST', '/api/v1/auth/logout-all', { token })).status).toBe(401)
    }
    const works = async (t: ReturnType<typeof authTestApp>, token: string) => {
      expect((await t.req('GET', '/api/v1/users/me', { token })).status).toBe(200)
      expect((await t.req('POST', '/api/v1/auth/verify', { body: { token } })).status).toBe(200)
    }

    test('a password change refuses every token issued before it, at once; a new login works right away', async () => {
      const { t, u } = await appWithUser()
      const second = (await login(t, u.username, u.password, '10.60.0.1')).body.access_token
      await works(t, u.token)
      const changed = await t.req('PUT', '/api/v1/users/me', {
        token: u.token,
        body: { password: 'new-password-1', current_password: u.password },
      })
      expect(changed.status).toBe(200)
      await refused(t, u.token)
      await refused(t, second)
      const fresh = await login(t, u.username, 'new-password-1', '10.60.0.1')
      expect(fresh.status).toBe(200)
      await works(t, fresh.body.access_token)
    })

    test(
      'POST /auth/logout-all: 204, every earlier token refused, ' + 'a new login works; the event carries the cut-off',
      async () => {
        const { t, u } = await appWithUser()
        expect((await t.req('POST', '/api/v1/auth/logout-all')).status).toBe(401)
        const before = Date.now()
        const out = await t.req('POST', '/api/v1/auth/logout-all', { token: u.token })
        expect(out.status).toBe(204)
        expect(out.text).toBe('')
        await refused(t, u.token)
        const fresh = await login(t, u.username, u.password, '10.70.0.1')
        expect(fresh.status).toBe(200)
        await works(t, fresh.body.access_token)
        const user = await store.users.byId(u.id)
        expect(user!.tokensValidAfter!.getTime()).toBeGreaterThanOrEqual(before)
        expect(user!.tokensValidAfter!.getTime() % 1000).toBe(0)
        // a second sign-out refuses the fresh token too
        expect((await t.req('POST', '/api/v1/auth/logout-all', { token: fresh.body.access_token })).status).toBe(204)
        await refused(t, fresh.body.access_token)
      },
    )
  })
}

suite('memory', async () => memoryAuthStore())
for (const db of await adapterDatabases('auth_trust', MIGRATIONS)) {
  suite(`postgres ${db.kind}`, async () => postgresAuthStore(await db.open()))
}

test('the user.updated of a revocation carries tokens_valid_after', async () => {
  const store = memoryAuthStore()
  const t = authTestApp({ store })
  const u = await t.user()
  expect((await t.req('POST', '/api/v1/auth/logout-all', { token: u.token })).status).toBe(204)
  const updated = store.published.filter((e) => e.type === 'user.updated' && e.data.id === u.id)
  expect(updated).toHaveLength(1)
  const data = updated[0]!.data as { tokens_valid_after: string | null; version: number }
  expect(data.version).toBe(2)
  expect(new Date(data.tokens_valid_after!).toISOString()).toBe(
    (await store.users.byId(u.id))!.tokensValidAfter!.toISOString(),
  )
})
