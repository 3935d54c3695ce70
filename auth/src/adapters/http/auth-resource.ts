import { Hono } from 'hono'
import { type AppEnv, clientAddress } from '@shop/shared-kernel/http/app'
import { bearerToken } from '@shop/shared-kernel/http/auth'
import { HttpProblem } from '@shop/shared-kernel/http/problem'
import { describeRoute, type RouteDoc } from '@shop/shared-kernel/http/openapi-meta'
import { body } from '@shop/shared-kernel/http/validate'
import type * as v from 'valibot'
import type { AuthApplication } from '../../app/application.ts'
import type { LoggedIn } from '../../app/login.ts'
import type { Registration } from '../../app/register.ts'
import type { User } from '../../domain/user.ts'
import { toProblem, unwrap } from './errors.ts'
import { requestCtx } from './request-ctx.ts'
import { LoginBody, RegisterBody, TokenOut, UserOut, VerifyBody, VerifyOut } from './schemas.ts'
import { userBody } from './users-resource.ts'

const registration = (b: v.InferOutput<typeof RegisterBody>): Registration => ({
  username: b.username,
  email: b.email,
  password: b.password,
  fullName: b.full_name ?? null,
})

const tokenBody = (t: LoggedIn): v.InferOutput<typeof TokenOut> => ({ access_token: t.token, token_type: 'bearer', expires_in: t.expiresIn })

const verifiedBody = (r: { user: User; exp: number }): v.InferOutput<typeof VerifyOut> => ({
  valid: true,
  user_id: r.user.id,
  username: r.user.username,
  role: r.user.role,
  exp: r.exp,
})

/** A route's OpenAPI description, under this resource's tag. */
const doc = (d: Omit<RouteDoc, 'tags'>) => describeRoute({ ...d, tags: ['auth'] })

/** `/api/v1/auth`: registering, logging in (limits per client address: see `trustProxy`), checking a token. */
export function authResource(application: AuthApplication, trustProxy: boolean): Hono<AppEnv> {
  const { commands, queries } = application
  const auth = new Hono<AppEnv>()

  const registerDoc = doc({ summary: 'Register a user (role USER)', responses: { 201: { description: 'the new user', schema: UserOut } }, errors: { 409: 'username or email taken (case-insensitive)' } })
  auth.post('/register', registerDoc, body(RegisterBody), async (c) => {
    const user = unwrap(await commands.register(registration(c.req.valid('json')), requestCtx(c)))
    return c.json(userBody(user), 201)
  })

  const loginDoc = doc({
    summary: 'Log in with username (or email) and password',
    description: 'JSON, or an urlencoded form as in the OAuth2 password flow (the Authorize button of /docs). Failed attempts are limited per username and per client address.',
    responses: { 200: { description: 'an access token', schema: TokenOut } },
    errors: { 401: 'wrong credentials (same answer for an unknown user)', 429: 'too many failed attempts; see Retry-After' },
  })
  auth.post('/login', loginDoc, body(LoginBody, { form: true }), async (c) => {
    const b = c.req.valid('json')
    const issued = unwrap(await commands.login(b.username, b.password, clientAddress(c, trustProxy)))
    c.header('Cache-Control', 'no-store')
    return c.json(tokenBody(issued))
  })

  const verifyDoc = doc({
    summary: 'Check a token',
    description: 'The token in the body (`{"token"}`) or in `Authorization: Bearer`. The answer carries the user\'s current role.',
    responses: { 200: { description: 'the token is valid', schema: VerifyOut } },
    errors: { 401: 'no token sent (`TOKEN_MISSING`), or it is invalid, expired, or its user was deleted (`INVALID_TOKEN`)' },
  })
  auth.post('/verify', verifyDoc, body(VerifyBody, { optional: true }), async (c) => {
    const token = c.req.valid('json').token ?? bearerToken(c.req.header('Authorization'))
    if (!token) throw new HttpProblem(401, 'TOKEN_MISSING', 'no token was sent: give it as {"token": "..."} in the body or in Authorization: Bearer')
    return c.json(verifiedBody(unwrap(await queries.verify(token))))
  })

  return auth
}
