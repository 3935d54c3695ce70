import { describe, expect, test } from 'bun:test'
import { expectServiceRoutes, rawBody } from '@shop/platform/testing/http'
import { expectProblem } from '@shop/platform/testing/problem'
import { authTestApp, SECRET } from './support.ts'

describe('POST /api/v1/auth/register', () => {
  const t = authTestApp()
  test('201 with the user, never a password or hash; email lower-cased; role ignored', async () => {
    const r = await t.req('POST', '/api/v1/auth/register', {
      body: {
        username: 'Alice.B-1',
        email: 'Alice@Example.COM',
        password: 'correct horse',
        full_name: 'Alice B',
        role: 'ADMIN',
        id: 'x',
      },
    })
    expect(r.status).toBe(201)
    expect(r.headers.get('Location')).toBe(`/api/v1/users/${r.body.id}`)
    expect(Object.keys(r.body).sort()).toEqual([
      'created_at',
      'email',
      'full_name',
      'id',
      'role',
      'updated_at',
      'username',
    ])
    expect(r.body).toMatchObject({
      username: 'Alice.B-1',
      email: 'alice@example.com',
      full_name: 'Alice B',
      role: 'USER',
    })
    expect(r.body.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(r.text).not.toContain('correct horse')
    expect(r.text).not.toContain('$2')
  })
  test('409 for a username taken in another case, and for a taken email', async () => {
    expectProblem(
      await t.req('POST', '/api/v1/auth/register', {
        body: { username: 'ALICE.b-1', email: 'x@example.com', password: 'password1' },
      }),
      409,
      'USERNAME_TAKEN',
    )
    expectProblem(
      await t.req('POST', '/api/v1/auth/register', {
        body: { username: 'other', email: 'ALICE@example.com', password: 'password1' },
      }),
      409,
      'EMAIL_TAKEN',
    )
  })
  test('422 with per-field errors', async () => {
    const r = await t.req('POST', '/api/v1/auth/register', {
      body: { username: 'ab', email: 'not-an-email', password: 'short' },
    })
    expectProblem(r, 422, 'VALIDATION_FAILED')
    expect(r.body.errors.map((e: any) => e.path).sort()).toEqual(['email', 'password', 'username'])
    const missing = await t.req('POST', '/api/v1/auth/register', { body: {} })
    expectProblem(missing, 422)
    expect(missing.body.errors.map((e: any) => e.path).sort()).toEqual(['email', 'password', 'username'])
  })
  test('passwords are 8 to 72 bytes (bytes, not characters)', async () => {
    const p72 = 'a'.repeat(72)
    expect(
      (
        await t.req('POST', '/api/v1/auth/register', {
          body: { username: 'p72', email: 'p72@example.com', password: p72 },
        })
      ).status,
    ).toBe(201)
    expectProblem(
      await t.req('POST', '/api/v1/auth/register', {
        body: { username: 'p73', email: 'p73@example.com', password: p72 + 'a' },
      }),
      422,
    )
    // 24 three-byte characters = 72 bytes; 25 = 75 bytes
    expect(
      (
        await t.req('POST', '/api/v1/auth/register', {
          body: { username: 'u24', email: 'u24@example.com', password: '€'.repeat(24) },
        })
      ).status,
    ).toBe(201)
    const long = await t.req('POST', '/api/v1/auth/register', {
      body: { username: 'u25', email: 'u25@example.com', password: '€'.repeat(25) },
    })
    expectProblem(long, 422)
    // the words say what is counted, and how many there were
    expect(long.body.errors).toEqual([
      {
        path: 'password',
        message:
          'password must be 8 to 72 bytes in UTF-8 (not characters: "é" takes 2 bytes, "€" 3); this one is 75 bytes',
      },
    ])
    // 2 four-byte characters = 8 bytes: long enough, though only 2 characters
    expect(
      (
        await t.req('POST', '/api/v1/auth/register', {
          body: { username: 'u2x', email: 'u2x@example.com', password: '😀😀' },
        })
      ).status,
    ).toBe(201)
    expectProblem(
      await t.req('POST', '/api/v1/auth/register', {
        body: { username: 'u7x', email: 'u7x@example.com', password: 'é'.repeat(3) + 'a' },
      }),
      422,
    )
    // the document's character bounds never refuse a password the server takes, and it says the rule is in bytes
    const doc = (await t.req('GET', '/openapi.json')).body
    const schema = doc.components.schemas.RegisterRequest.properties.password
    expect(schema).toMatchObject({ minLength: 2, maxLength: 72 })
    expect(schema.description).toContain('8 to 72 bytes in UTF-8, not characters')
  })
  test('400 on malformed JSON, 415 on another media type, 413 over the body limit', async () => {
    expectProblem(await t.req('POST', '/api/v1/auth/register', rawBody('{"username": ')), 400, 'MALFORMED_JSON')
    expectProblem(await t.req('POST', '/api/v1/auth/register', rawBody('x', 'text/plain')), 415)
    const small = authTestApp({ bodyLimit: 1000 })
    expectProblem(
      await small.req('POST', '/api/v1/auth/register', {
        body: { username: 'big', email: 'b@example.com', password: 'x'.repeat(2000) },
      }),
      413,
      'BODY_TOO_LARGE',
    )
  })
  test('422 when the body is not an object', async () => {
    for (const raw of ['[]', '"x"', 'null', '42']) {
      expectProblem(await t.req('POST', '/api/v1/auth/register', rawBody(raw)), 422)
    }
  })
})

describe('POST /api/v1/auth/login', () => {
  test('JSON login by username or email (any case) returns a bearer token', async () => {
    const t = authTestApp()
    const u = await t.user()
    const r = await t.req('POST', '/api/v1/auth/login', {
      body: { username: u.username.toUpperCase(), password: u.password },
    })
    expect(r.status).toBe(200)
    expect(r.body.token_type).toBe('bearer')
    expect(r.body.expires_in).toBe(1800)
    expect(r.headers.get('Cache-Control')).toBe('no-store')
    const byEmail = await t.req('POST', '/api/v1/auth/login', {
      body: { username: `${u.username}@EXAMPLE.com`, password: u.password },
    })
    expect(byEmail.status).toBe(200)
    const me = await t.req('GET', '/api/v1/users/me', { token: r.body.access_token })
    expect(me.body.id).toBe(u.id)
  })
  test('OAuth2 password form (the docs page Authorize button)', async () => {
    const t = authTestApp()
    const u = await t.user()
    const r = await t.req('POST', '/api/v1/auth/login', {
      raw: new URLSearchParams({
        grant_type: 'password',
        username: u.username,
        password: u.password,
        scope: '',
      }).toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    })
    expect(r.status).toBe(200)
    expect(r.body.access_token.split('.')).toHaveLength(3)
  })
  test('401 is the same for an unknown user and a wrong password', async () => {
    const t = authTestApp()
    const u = await t.user()
    const wrong = await t.req('POST', '/api/v1/auth/login', {
      body: { username: u.username, password: 'wrong-password' },
    })
    const unknown = await t.req('POST', '/api/v1/auth/login', {
      body: { username: 'nobody_here', password: 'wrong-password' },
    })
    expectProblem(wrong, 401, 'INVALID_CREDENTIALS')
    expectProblem(unknown, 401, 'INVALID_CREDENTIALS')
    // The same answer, but for the request's own id.
    expect({ ...wrong.body, request_id: '' }).toEqual({ ...unknown.body, request_id: '' })
    expect(wrong.headers.get('WWW-Authenticate')).toBe('Bearer')
  })
  test('429 with Retry-After after too many failures for a username, even with the right password', async () => {
    const t = authTestApp({ maxFailures: 3 })
    const u = await t.user()
    for (let i = 0; i < 3; i++)
      expect(
        (await t.req('POST', '/api/v1/auth/login', { body: { username: u.username, password: 'bad-password' } }))
          .status,
      ).toBe(401)
    const locked = await t.req('POST', '/api/v1/auth/login', { body: { username: u.username, password: u.password } })
    expectProblem(locked, 429, 'TOO_MANY_ATTEMPTS')
    const after = Number(locked.headers.get('Retry-After'))
    expect(after).toBeGreaterThan(0)
    expect(after).toBeLessThanOrEqual(900)
    // another user is not affected
    const v = await t.user()
    expect(
      (await t.req('POST', '/api/v1/auth/login', { body: { username: v.username, password: v.password } })).status,
    ).toBe(200)
  })
  test('429 per client address across many usernames', async () => {
    const t = authTestApp({ maxFailures: 100, maxPerAddress: 4 })
    for (let i = 0; i < 4; i++) expect((await t.logIn(`spray${i}`, 'bad-password', '10.0.0.9')).status).toBe(401)
    expectProblem(await t.logIn('spray99', 'bad-password', '10.0.0.9'), 429)
    // another address still gets through
    expect((await t.logIn('spray99', 'bad-password', '10.0.0.10')).status).toBe(401)
  })
  test('a successful login resets the username counter', async () => {
    const t = authTestApp({ maxFailures: 3 })
    const u = await t.user()
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 2; i++)
        await t.req('POST', '/api/v1/auth/login', { body: { username: u.username, password: 'bad-password' } })
      expect(
        (await t.req('POST', '/api/v1/auth/login', { body: { username: u.username, password: u.password } })).status,
      ).toBe(200)
    }
  })
  test('422 on missing fields', async () => {
    const t = authTestApp()
    expectProblem(await t.req('POST', '/api/v1/auth/login', { body: { username: 'x' } }), 422)
  })
})

describe('POST /api/v1/auth/verify', () => {
  test('200 for a valid token in the body or the header, with the current role', async () => {
    const t = authTestApp()
    const u = await t.user()
    const r = await t.req('POST', '/api/v1/auth/verify', { body: { token: u.token } })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ valid: true, user_id: u.id, username: u.username, role: 'USER' })
    expect(typeof r.body.exp).toBe('number')
    const h = await t.req('POST', '/api/v1/auth/verify', { token: u.token })
    expect(h.status).toBe(200)
    await t.application.commands.changeRole(u.id, 'ADMIN')
    expect((await t.req('POST', '/api/v1/auth/verify', { token: u.token })).body.role).toBe('ADMIN')
  })
  test('401 for no token, garbage, an expired token, and a deleted user', async () => {
    const t = authTestApp()
    const u = await t.user()
    // No token at all says so (issue 12: not "invalid").
    const missing = await t.req('POST', '/api/v1/auth/verify')
    expectProblem(missing, 401, 'TOKEN_MISSING')
    expect(missing.body.detail).toContain('no token was sent')
    expectProblem(await t.req('POST', '/api/v1/auth/verify', { body: { token: 'garbage' } }), 401)
    const expired = await t.tokens.valid(u, { exp: Math.floor(Date.now() / 1000) - 10 })
    expectProblem(await t.req('POST', '/api/v1/auth/verify', { body: { token: expired } }), 401)
    const admin = await t.user('ADMIN')
    expect((await t.req('DELETE', `/api/v1/users/${u.id}`, { token: admin.token })).status).toBe(204)
    expectProblem(await t.req('POST', '/api/v1/auth/verify', { body: { token: u.token } }), 401)
  })
})

describe('tokens: every hostile kind is 401 with WWW-Authenticate', async () => {
  const t = authTestApp()
  const u = await t.user()
  const user = { id: u.id, username: u.username, role: 'USER' }
  const now = Math.floor(Date.now() / 1000)
  const cases: [string, () => Promise<string> | string][] = [
    ['alg none', () => t.tokens.algNone(user)],
    ['HS512 with the right key', () => t.tokens.signed(t.tokens.claims(user), SECRET, 'HS512')],
    ['wrong key', () => t.tokens.signed(t.tokens.claims(user), 'another-secret-another-secret-1234')],
    ['expired', () => t.tokens.valid(user, { exp: now - 1 })],
    ['no exp', () => t.tokens.withoutExp(user)],
    ['wrong issuer', () => t.tokens.valid(user, { iss: 'someone-else' })],
    ['no issuer', () => t.tokens.valid(user, { iss: undefined })],
    ['wrong audience', () => t.tokens.valid(user, { aud: 'other' })],
    ['no audience', () => t.tokens.valid(user, { aud: undefined })],
    ['unknown role', () => t.tokens.valid(user, { role: 'ROOT' })],
    ['no sub', () => t.tokens.valid(user, { sub: undefined })],
    ['not yet valid', () => t.tokens.valid(user, { nbf: now + 3600 })],
    [
      'tampered payload',
      async () => {
        const [h, , s] = (await t.tokens.valid(user)).split('.')
        const payload = Buffer.from(JSON.stringify(t.tokens.claims({ ...user, role: 'ADMIN' }))).toString('base64url')
        return `${h}.${payload}.${s}`
      },
    ],
    ['not a JWT', () => 'abc.def'],
  ]
  for (const [name, make] of cases) {
    // Only a token we issued is told expired; every other kind is invalid, whatever its exp says.
    const code = name === 'expired' ? 'TOKEN_EXPIRED' : 'TOKEN_INVALID'
    test(`${name}: ${code}`, async () => {
      const r = await t.req('GET', '/api/v1/users/me', { token: await make() })
      expectProblem(r, 401, code)
      expect(r.headers.get('WWW-Authenticate')).toBe(
        `Bearer error="invalid_token", error_description="${r.body.detail}"`,
      )
      expect(r.body.instance).toBe('/api/v1/users/me')
    })
  }
  test('a forged token that has expired is invalid, not expired', async () => {
    const forged = await t.tokens.signed(t.tokens.claims(user, { exp: now - 1 }), 'another-secret-another-secret-1234')
    expectProblem(await t.req('GET', '/api/v1/users/me', { token: forged }), 401, 'TOKEN_INVALID')
  })
  test('no Authorization header, or another scheme', async () => {
    expectProblem(await t.req('GET', '/api/v1/users/me'), 401, 'UNAUTHENTICATED')
    const basic = await t.req('GET', '/api/v1/users/me', { headers: { Authorization: `Basic ${u.token}` } })
    expectProblem(basic, 401, 'UNAUTHENTICATED')
    expect(basic.headers.get('WWW-Authenticate')).toBe('Bearer')
  })
  test('the control: the real token works', async () => {
    expect((await t.req('GET', '/api/v1/users/me', { token: u.token })).status).toBe(200)
  })
})

describe('GET and PUT /api/v1/users/me', () => {
  test('updates username, email and full_name; role and other fields are ignored', async () => {
    const t = authTestApp()
    const u = await t.user()
    const r = await t.req('PUT', '/api/v1/users/me', {
      token: u.token,
      body: {
        username: `${u.username}_x`,
        email: 'NEW@example.com',
        full_name: 'New Name',
        role: 'ADMIN',
        id: crypto.randomUUID(),
        created_at: '2000-01-01T00:00:00Z',
      },
    })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({
      id: u.id,
      username: `${u.username}_x`,
      email: 'new@example.com',
      full_name: 'New Name',
      role: 'USER',
    })
    expect(r.body.updated_at >= r.body.created_at).toBe(true)
    expect((await t.req('GET', '/api/v1/users/me', { token: u.token })).body.username).toBe(`${u.username}_x`)
    const cleared = await t.req('PUT', '/api/v1/users/me', { token: u.token, body: { full_name: null } })
    expect(cleared.body.full_name).toBeNull()
  })
  test('password change needs the right current_password (403), and is required (422)', async () => {
    const t = authTestApp()
    const u = await t.user()
    expectProblem(await t.req('PUT', '/api/v1/users/me', { token: u.token, body: { password: 'new-password-1' } }), 422)
    expectProblem(
      await t.req('PUT', '/api/v1/users/me', {
        token: u.token,
        body: { password: 'new-password-1', current_password: 'wrong-one' },
      }),
      403,
      'WRONG_CURRENT_PASSWORD',
    )
    // nothing changed
    expect(
      (await t.req('POST', '/api/v1/auth/login', { body: { username: u.username, password: u.password } })).status,
    ).toBe(200)
    expect(
      (
        await t.req('PUT', '/api/v1/users/me', {
          token: u.token,
          body: { password: 'new-password-1', current_password: u.password },
        })
      ).status,
    ).toBe(200)
    expect(
      (await t.req('POST', '/api/v1/auth/login', { body: { username: u.username, password: u.password } })).status,
    ).toBe(401)
    expect(
      (await t.req('POST', '/api/v1/auth/login', { body: { username: u.username, password: 'new-password-1' } }))
        .status,
    ).toBe(200)
  })
  test('a token issued before a password change is TOKEN_REVOKED, told apart in WWW-Authenticate', async () => {
    const t = authTestApp()
    const u = await t.user()
    const change = { password: 'new-password-1', current_password: u.password }
    expect((await t.req('PUT', '/api/v1/users/me', { token: u.token, body: change })).status).toBe(200)
    for (const path of ['/api/v1/users/me', '/api/v1/auth/logout-all']) {
      const r = await t.req(path.endsWith('me') ? 'GET' : 'POST', path, { token: u.token })
      expectProblem(r, 401, 'TOKEN_REVOKED')
      expect(r.headers.get('WWW-Authenticate')).toMatch(/^Bearer error="invalid_token", error_description=".*revoked/)
      expect(r.body.instance).toBe(path)
    }
  })
  test('409 for a taken username or email; 422 for invalid values', async () => {
    const t = authTestApp()
    const a = await t.user()
    const b = await t.user()
    expectProblem(
      await t.req('PUT', '/api/v1/users/me', { token: b.token, body: { username: a.username.toUpperCase() } }),
      409,
      'USERNAME_TAKEN',
    )
    expectProblem(
      await t.req('PUT', '/api/v1/users/me', { token: b.token, body: { email: `${a.username}@example.com` } }),
      409,
      'EMAIL_TAKEN',
    )
    expectProblem(await t.req('PUT', '/api/v1/users/me', { token: b.token, body: { username: 'no spaces' } }), 422)
  })
  test('401 without a token', async () => {
    const t = authTestApp()
    expectProblem(await t.req('GET', '/api/v1/users/me'), 401)
    expectProblem(await t.req('PUT', '/api/v1/users/me', { body: {} }), 401)
  })
})

describe('admin endpoints', () => {
  test('GET /api/v1/users/ lists users with X-Total-Count and Link; 403 for USER; 401 without token', async () => {
    const t = authTestApp()
    const admin = await t.user('ADMIN')
    for (let i = 0; i < 4; i++) await t.user()
    const r = await t.req('GET', '/api/v1/users/?limit=2&offset=1', { token: admin.token })
    expect(r.status).toBe(200)
    expect(r.body).toHaveLength(2)
    expect(r.headers.get('X-Total-Count')).toBe('5')
    expect(r.headers.get('Link')).toContain('rel="next"')
    expect(r.headers.get('Link')).toContain('rel="prev"')
    expect(r.headers.get('Link')).toContain('offset=3')
    expect(r.text).not.toContain('password')
    const noSlash = await t.req('GET', '/api/v1/users', { token: admin.token })
    expect(noSlash.status).toBe(200)
    expect(noSlash.body).toHaveLength(5)
    const user = await t.user()
    expectProblem(await t.req('GET', '/api/v1/users/', { token: user.token }), 403, 'FORBIDDEN')
    expectProblem(await t.req('GET', '/api/v1/users/'), 401)
  })
  test('limit outside 1..100 and a negative offset are 422', async () => {
    const t = authTestApp()
    const admin = await t.user('ADMIN')
    for (const q of ['limit=101', 'limit=0', 'offset=-1', 'limit=abc', 'limit=1&limit=2']) {
      expectProblem(await t.req('GET', `/api/v1/users/?${q}`, { token: admin.token }), 422)
    }
  })
  test('PUT /api/v1/users/{id}/role: 200, 404, 422, 403; a demoted admin loses admin rights at once', async () => {
    const t = authTestApp()
    const admin = await t.user('ADMIN')
    const u = await t.user()
    const r = await t.req('PUT', `/api/v1/users/${u.id}/role`, { token: admin.token, body: { role: 'ADMIN' } })
    expect(r.status).toBe(200)
    expect(r.body.role).toBe('ADMIN')
    // u's old token (role USER inside) now works as admin: the role comes from the store
    expect((await t.req('GET', '/api/v1/users/', { token: u.token })).status).toBe(200)
    expect(
      (await t.req('PUT', `/api/v1/users/${u.id}/role`, { token: admin.token, body: { role: 'USER' } })).status,
    ).toBe(200)
    expectProblem(await t.req('GET', '/api/v1/users/', { token: u.token }), 403)
    expectProblem(
      await t.req('PUT', `/api/v1/users/${crypto.randomUUID()}/role`, { token: admin.token, body: { role: 'USER' } }),
      404,
      'USER_NOT_FOUND',
    )
    expectProblem(await t.req('PUT', `/api/v1/users/${u.id}/role`, { token: admin.token, body: { role: 'ROOT' } }), 422)
    expectProblem(
      await t.req('PUT', `/api/v1/users/not-a-uuid/role`, { token: admin.token, body: { role: 'USER' } }),
      422,
    )
    expectProblem(await t.req('PUT', `/api/v1/users/${admin.id}/role`, { token: u.token, body: { role: 'USER' } }), 403)
  })
  test('DELETE /api/v1/users/{id}: 204, then the token is dead; 404; 409 on self; 403 for USER', async () => {
    const t = authTestApp()
    const admin = await t.user('ADMIN')
    const u = await t.user()
    const v = await t.user()
    expectProblem(await t.req('DELETE', `/api/v1/users/${v.id}`, { token: u.token }), 403)
    const r = await t.req('DELETE', `/api/v1/users/${u.id}`, { token: admin.token })
    expect(r.status).toBe(204)
    expect(r.text).toBe('')
    expectProblem(await t.req('GET', '/api/v1/users/me', { token: u.token }), 401)
    expectProblem(await t.req('DELETE', `/api/v1/users/${u.id}`, { token: admin.token }), 404)
    expectProblem(await t.req('DELETE', `/api/v1/users/${admin.id}`, { token: admin.token }), 409, 'CANNOT_DELETE_SELF')
    // the username can be registered again by someone new
    expect(
      (
        await t.req('POST', '/api/v1/auth/register', {
          body: { username: u.username, email: `${u.username}@example.com`, password: 'password-123' },
        })
      ).status,
    ).toBe(201)
  })
})

describe('events are written with the change', () => {
  test('register, update, role change and delete each record one event with the request id', async () => {
    const t = authTestApp()
    const published = (
      t.store as unknown as { published: { type: string; correlation_id: string | null; data: any }[] }
    ).published
    const admin = await t.user('ADMIN')
    const reg = await t.req('POST', '/api/v1/auth/register', {
      body: { username: 'evt_user', email: 'evt@example.com', password: 'password-123' },
      headers: { 'X-Request-Id': 'req-123' },
    })
    expect(reg.headers.get('X-Request-Id')).toBe('req-123')
    const created = published.find((e) => e.type === 'user.created' && e.data.id === reg.body.id)!
    expect(created.correlation_id).toBe('req-123')
    expect(created.data).toEqual({
      id: reg.body.id,
      username: 'evt_user',
      email: 'evt@example.com',
      role: 'USER',
      version: 1,
      tokens_valid_after: null,
    })
    await t.req('PUT', `/api/v1/users/${reg.body.id}/role`, { token: admin.token, body: { role: 'ADMIN' } })
    await t.req('DELETE', `/api/v1/users/${reg.body.id}`, { token: admin.token })
    const mine = published.filter((e) => e.data.id === reg.body.id).map((e) => [e.type, e.data.version])
    expect(mine).toEqual([
      ['user.created', 1],
      ['user.updated', 2],
      ['user.deleted', 3],
    ])
    // a refused change records nothing
    const before = published.length
    await t.req('POST', '/api/v1/auth/register', {
      body: { username: 'evt_user2', email: 'admin_0@nowhere.example', password: 'short' },
    })
    expect(published.length).toBe(before)
  })
})

describe('conventions', () => {
  const t = authTestApp()
  test('X-Request-Id generated when absent, echoed when given', async () => {
    const r = await t.req('GET', '/health')
    expect(r.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/)
    expect((await t.req('GET', '/health', { headers: { 'X-Request-Id': 'abc-1' } })).headers.get('X-Request-Id')).toBe(
      'abc-1',
    )
    // a hostile id is replaced, not echoed
    const bad = await t.req('GET', '/health', { headers: { 'X-Request-Id': 'a b<script>' } })
    expect(bad.headers.get('X-Request-Id')).not.toContain('<')
  })
  test('health, readiness, openapi and docs', async () => {
    const doc = await expectServiceRoutes(t.req)
    const paths = Object.keys(doc.paths).sort()
    expect(paths).toEqual([
      '/api/v1/auth/login',
      '/api/v1/auth/logout-all',
      '/api/v1/auth/register',
      '/api/v1/auth/verify',
      '/api/v1/users',
      '/api/v1/users/me',
      '/api/v1/users/{id}',
      '/api/v1/users/{id}/role',
      '/health',
      '/health/live',
      '/health/ready',
      '/health/serving',
    ])
    expect(doc.paths['/api/v1/auth/login'].post.requestBody.content['application/x-www-form-urlencoded']).toBeDefined()
    expect(doc.components.securitySchemes.OAuth2Password.flows.password.tokenUrl).toBe('/api/v1/auth/login')
    expect(doc.paths['/api/v1/users/{id}'].delete.responses['409']).toBeDefined()
    const docs = await t.req('GET', '/docs')
    expect(docs.status).toBe(200)
    expect(docs.text).toContain('/openapi.json')
    expect((await t.req('GET', '/docs/assets/swagger-ui-bundle.js')).status).toBe(200)
    // An icon, so a browser's console shows no 404 (the page links one; /favicon.ico for the rest).
    const icon = docs.text.match(/<link rel="icon"[^>]* href="([^"]+)"/)?.[1]
    expect(icon).toBeDefined()
    for (const path of [icon!, '/favicon.ico']) {
      const r = await t.req('GET', path)
      expect({ path, status: r.status, type: r.headers.get('Content-Type') }).toEqual({
        path,
        status: 200,
        type: 'image/png',
      })
    }
    expectProblem(await t.req('GET', '/docs/assets/index.html'), 404, 'NOT_FOUND')
  })
  test('unknown path 404 and wrong method 405 with Allow, in problem+json', async () => {
    expectProblem(await t.req('GET', '/nope'), 404, 'NOT_FOUND')
    const r = await t.req('DELETE', '/api/v1/auth/login')
    expectProblem(r, 405, 'METHOD_NOT_ALLOWED')
    expect(r.headers.get('Allow')).toContain('POST')
  })
  test('trailing slash is optional', async () => {
    const u = await t.user()
    expect((await t.req('GET', '/api/v1/users/me/', { token: u.token })).status).toBe(200)
    expect(
      (await t.req('POST', '/api/v1/auth/login/', { body: { username: u.username, password: u.password } })).status,
    ).toBe(200)
  })
  test('no CORS headers unless configured', async () => {
    const r = await t.req('GET', '/health', { headers: { Origin: 'https://evil.example' } })
    expect(r.headers.get('Access-Control-Allow-Origin')).toBeNull()
  })
})
