import type { Hono } from 'hono'
import { type AppEnv, clientAddress, createHttpApp, type HttpAppOptions } from '@shop/shared-kernel/http/app'
import { authenticate, bearerToken } from '@shop/shared-kernel/http/auth'
import { describeRoute } from '@shop/shared-kernel/http/openapi-meta'
import { HttpProblem } from '@shop/shared-kernel/http/problem'
import { pageEntries, pageHeadersDoc, setPageHeaders } from '@shop/shared-kernel/http/pagination'
import { body, params, query } from '@shop/shared-kernel/http/validate'
import * as v from 'valibot'
import type { Auth } from '../../auth.ts'
import type { User } from '../../domain/user.ts'
import { toProblem } from './errors.ts'
import { LoginBody, RegisterBody, RoleBody, TokenOut, UpdateMeBody, UserIdParam, UserOut, VerifyBody, VerifyOut } from './schemas.ts'

export const userJson = (u: User) => ({
  id: u.id,
  username: u.username,
  email: u.email,
  full_name: u.fullName,
  role: u.role,
  created_at: u.createdAt.toISOString(),
  updated_at: u.updatedAt.toISOString(),
})

export interface AuthHttpOptions extends Omit<HttpAppOptions, 'docs'> {
  readonly auth: Auth
  readonly secret: string
  /** Take the client address from X-Forwarded-For, its last hop (only behind a proxy you trust, which appends it). */
  readonly trustProxy: boolean
}

const tags = { auth: ['auth'], users: ['users'] }

export function authHttp(o: AuthHttpOptions): Hono<AppEnv> {
  const app = createHttpApp({
    ...o,
    docs: {
      title: 'shop auth',
      version: '1.0.0',
      description: 'Users, login, JWT and roles. Tokens are HS256 JWTs (iss "shop-auth", aud "shop") accepted by every shop service.',
      tokenUrl: '/api/v1/auth/login',
    },
  })
  const { auth } = o
  const signedIn = authenticate({ secret: o.secret, lookup: auth.lookup })
  // For GET /users/me, whose handler reads the user anyway: the token is checked here, and the
  // handler's one read also tells a deleted user (401, as the lookup would). One query, not two.
  const tokenChecked = authenticate({ secret: o.secret })
  const admin = authenticate({ secret: o.secret, lookup: auth.lookup }, 'ADMIN')
  const ctx = (c: { get(k: 'requestId'): string }) => ({ correlationId: c.get('requestId') })

  app.post(
    '/api/v1/auth/register',
    describeRoute({
      summary: 'Register a user (role USER)',
      tags: tags.auth,
      responses: { 201: { description: 'the new user', schema: UserOut } },
      errors: { 409: 'username or email taken (case-insensitive)' },
    }),
    body(RegisterBody),
    async (c) => {
      const b = c.req.valid('json')
      const r = await auth.register({ username: b.username, email: b.email, password: b.password, fullName: b.full_name ?? null }, ctx(c))
      if (!r.ok) throw toProblem(r.error)
      return c.json(userJson(r.value), 201)
    },
  )

  app.post(
    '/api/v1/auth/login',
    describeRoute({
      summary: 'Log in with username (or email) and password',
      description: 'JSON, or an urlencoded form as in the OAuth2 password flow (the Authorize button of /docs). Failed attempts are limited per username and per client address.',
      tags: tags.auth,
      responses: { 200: { description: 'an access token', schema: TokenOut } },
      errors: { 401: 'wrong credentials (same answer for an unknown user)', 429: 'too many failed attempts; see Retry-After' },
    }),
    body(LoginBody, { form: true }),
    async (c) => {
      const b = c.req.valid('json')
      const r = await auth.login(b.username, b.password, clientAddress(c, o.trustProxy))
      if (!r.ok) throw toProblem(r.error)
      c.header('Cache-Control', 'no-store')
      return c.json({ access_token: r.value.token, token_type: 'bearer', expires_in: r.value.expiresIn })
    },
  )

  app.post(
    '/api/v1/auth/verify',
    describeRoute({
      summary: 'Check a token',
      description: 'The token in the body (`{"token"}`) or in `Authorization: Bearer`. The answer carries the user\'s current role.',
      tags: tags.auth,
      responses: { 200: { description: 'the token is valid', schema: VerifyOut } },
      errors: { 401: 'no token sent (`TOKEN_MISSING`), or it is invalid, expired, or its user was deleted (`INVALID_TOKEN`)' },
    }),
    body(VerifyBody, { optional: true }),
    async (c) => {
      const token = c.req.valid('json').token ?? bearerToken(c.req.header('Authorization'))
      if (!token) throw new HttpProblem(401, 'TOKEN_MISSING', 'no token was sent: give it as {"token": "..."} in the body or in Authorization: Bearer')
      const r = await auth.verify(token)
      if (!r.ok) throw toProblem(r.error)
      const u = r.value.user
      return c.json({ valid: true, user_id: u.id, username: u.username, role: u.role, exp: r.value.exp })
    },
  )

  app.get(
    '/api/v1/users/me',
    describeRoute({ summary: 'The signed-in user', tags: tags.users, responses: { 200: { description: 'the user', schema: UserOut } } }),
    tokenChecked,
    async (c) => {
      const r = await auth.me(c.get('principal').id)
      // The same answer as the middleware gives a revoked token.
      if (!r.ok) throw new HttpProblem(401, 'UNAUTHENTICATED', 'the token is invalid, expired or revoked')
      return c.json(userJson(r.value))
    },
  )

  app.put(
    '/api/v1/users/me',
    describeRoute({
      summary: 'Update the signed-in user',
      description: 'Any of username, email, full_name, password. Changing the password needs the right current_password. role and other fields are ignored.',
      tags: tags.users,
      responses: { 200: { description: 'the updated user', schema: UserOut } },
      errors: { 403: 'current_password is wrong', 409: 'username or email taken' },
    }),
    signedIn,
    body(UpdateMeBody),
    async (c) => {
      const b = c.req.valid('json')
      const r = await auth.updateMe(
        c.get('principal').id,
        {
          ...(b.username !== undefined ? { username: b.username } : {}),
          ...(b.email !== undefined ? { email: b.email } : {}),
          ...(b.full_name !== undefined ? { fullName: b.full_name } : {}),
          ...(b.password !== undefined ? { password: b.password } : {}),
          ...(b.current_password !== undefined ? { currentPassword: b.current_password } : {}),
        },
        ctx(c),
      )
      if (!r.ok) throw toProblem(r.error)
      return c.json(userJson(r.value))
    },
  )

  app.get(
    '/api/v1/users',
    describeRoute({
      summary: 'List users (admin), oldest first',
      tags: tags.users,
      responses: { 200: { description: 'a page of users', schema: v.array(UserOut), headers: pageHeadersDoc } },
    }),
    admin,
    query(v.object(pageEntries)),
    async (c) => {
      const page = c.req.valid('query')
      const { items, total } = await auth.listUsers(page)
      setPageHeaders(c, page, total)
      return c.json(items.map(userJson))
    },
  )

  app.put(
    '/api/v1/users/:id/role',
    describeRoute({
      summary: "Change a user's role (admin)",
      tags: tags.users,
      responses: { 200: { description: 'the updated user', schema: UserOut } },
      errors: { 404: 'no such user' },
    }),
    admin,
    params(UserIdParam),
    body(RoleBody),
    async (c) => {
      const r = await auth.changeRole(c.req.valid('param').id, c.req.valid('json').role, ctx(c))
      if (!r.ok) throw toProblem(r.error)
      return c.json(userJson(r.value))
    },
  )

  app.delete(
    '/api/v1/users/:id',
    describeRoute({
      summary: 'Delete a user (admin)',
      description: 'Other services learn of it from the user.deleted event: the user\'s tokens stop working everywhere and their open orders are cancelled.',
      tags: tags.users,
      responses: { 204: { description: 'deleted' } },
      errors: { 404: 'no such user', 409: 'an admin cannot delete their own account' },
    }),
    admin,
    params(UserIdParam),
    async (c) => {
      const r = await auth.deleteUser(c.get('principal').id, c.req.valid('param').id, ctx(c))
      if (!r.ok) throw toProblem(r.error)
      return c.body(null, 204)
    },
  )

  return app
}
