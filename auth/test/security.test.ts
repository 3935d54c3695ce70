import { beforeAll, describe, expect, test } from 'bun:test'
import { adapterDatabases } from '@shop/platform/testing/databases'
import { expectNulRefusedBy } from '@shop/platform/testing/problem'
import { rawBody } from '@shop/platform/testing/http'
import type { Sql } from '@shop/platform/postgres/connect'
import { MIGRATIONS } from '../src/main.ts'
import { memoryAuthStore } from '../src/adapters/memory/store.ts'
import { postgresAuthStore } from '../src/adapters/postgres/store.ts'
import { isValidEmail } from '../src/domain/user.ts'
import type { AuthStore } from '../src/ports.ts'
import { authTestApp } from './support.ts'

/**
 * Regressions found by tests/security: free text with a NUL reached PostgreSQL (which cannot
 * store it: a 500), and logging in by email counted apart from logging in by username (twice the
 * attempts per account). Run over every adapter: the NUL only fails on PostgreSQL.
 */
function suite(name: string, make: () => Promise<{ store: AuthStore; sql?: Sql }>) {
  describe(`auth hardening: ${name}`, () => {
    let t: ReturnType<typeof authTestApp>
    let sql: Sql | undefined
    beforeAll(async () => {
      const made = await make()
      sql = made.sql
      t = authTestApp({ store: made.store, maxFailures: 4, maxPerAddress: 1000 })
    })
    const problem = (r: { status: number; headers: Headers; body: any }, status: number, path?: string) => {
      expect(r.status).toBe(status)
      expect(r.headers.get('Content-Type')).toContain('application/problem+json')
      if (path) expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(path)
    }

    test('the database itself refuses a NUL in text (what the checks below prevent)', async () => {
      if (sql) await expectNulRefusedBy(sql)
    })

    test('register: a NUL or another control character in full_name or email is 422, not 500', async () => {
      for (const [field, value] of [
        ['full_name', 'Ann\u0000Smith'],
        ['full_name', '\u0000'],
        ['full_name', 'Ann\u001bSmith'],
        ['email', 'ann\u0000@example.com'],
        ['email', 'ann@exa\u0000mple.com'],
        ['email', 'ann@example.c\u0007om'],
      ] as const) {
        const r = await t.req('POST', '/api/v1/auth/register', {
          body: { username: 'ann_nul', email: 'ann_nul@example.com', password: 'password-123', [field]: value },
        })
        problem(r, 422, field)
      }
      // the control: the same registration without it
      const ok = await t.req('POST', '/api/v1/auth/register', {
        body: {
          username: 'ann_nul',
          email: 'ann_nul@example.com',
          password: 'password-123',
          full_name: '  Ann Smith  ',
        },
      })
      expect(ok.status).toBe(201)
      expect(ok.body.full_name).toBe('Ann Smith')
    })

    test('PUT /users/me: a NUL in full_name or email is 422 and changes nothing', async () => {
      const u = await t.user()
      for (const body of [
        { full_name: 'x\u0000' },
        { email: 'x\u0000@example.com' },
        { full_name: 'ok', email: 'y@ex\u0000ample.com' },
      ]) {
        problem(await t.req('PUT', '/api/v1/users/me', { token: u.token, body }), 422)
      }
      const me = await t.req('GET', '/api/v1/users/me', { token: u.token })
      expect(me.body.full_name).toBeNull()
      expect(me.body.email).toBe(`${u.username}@example.com`)
    })

    test('login: a NUL in the username (JSON or form) is 422, not 500; the password may hold anything', async () => {
      problem(
        await t.req('POST', '/api/v1/auth/login', { body: { username: 'someone\u0000', password: 'whatever-1' } }),
        422,
        'username',
      )
      problem(
        await t.req('POST', '/api/v1/auth/login', { body: { username: 'a@b\u0000.com', password: 'whatever-1' } }),
        422,
        'username',
      )
      problem(
        await t.req(
          'POST',
          '/api/v1/auth/login',
          rawBody('username=x%00y&password=whatever-1', 'application/x-www-form-urlencoded'),
        ),
        422,
        'username',
      )
      // a password is only hashed and compared, never stored as text
      expect(
        (await t.req('POST', '/api/v1/auth/login', { body: { username: 'nobody_at_all', password: 'pass\u0000word' } }))
          .status,
      ).toBe(401)
    })

    // Failures are counted per (account, client address) since issue 14 (before, per account from
    // any address, which let anyone lock anyone out): the two names share the pair's counter.
    test('login: the email and the username of one account share one failure counter', async () => {
      const u = await t.user()
      for (let i = 0; i < 4; i++) {
        const login = i % 2 ? `${u.username.toUpperCase()}@Example.com` : u.username
        expect(
          (
            await t.req('POST', '/api/v1/auth/login', {
              body: { username: login, password: `wrong-${i}` },
              address: '10.0.0.1',
            })
          ).status,
        ).toBe(401)
      }
      for (const login of [u.username, `${u.username}@example.com`]) {
        const r = await t.req('POST', '/api/v1/auth/login', {
          body: { username: login, password: u.password },
          address: '10.0.0.1',
        })
        expect(r.status).toBe(429)
        expect(Number(r.headers.get('Retry-After'))).toBeGreaterThan(0)
      }
    })

    test('login: an unknown name is still limited, under its own name', async () => {
      for (let i = 0; i < 4; i++) expect((await t.logIn('Ghost_User', `wrong-${i}`, '10.1.0.1')).status).toBe(401)
      expect((await t.logIn('ghost_user', 'wrong', '10.1.0.1')).status).toBe(429)
    })
  })
}

suite('memory', async () => ({ store: memoryAuthStore() }))
for (const db of await adapterDatabases('auth', MIGRATIONS)) {
  suite(`postgres ${db.kind}`, async () => {
    const sql = await db.open()
    return { store: postgresAuthStore(sql), sql }
  })
}

test('isValidEmail refuses control characters anywhere', () => {
  for (const e of ['a\u0000@example.com', 'a@example.com\u0000', 'a\u007f@example.com', 'a@ex\u0001ample.com'])
    expect(isValidEmail(e)).toBe(false)
  expect(isValidEmail('a@example.com')).toBe(true)
})
