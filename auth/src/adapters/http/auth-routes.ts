import { created } from '@shop/platform/http/created'
import type { TrustProxy } from '@shop/platform/http/client-address'
import { Hono } from 'hono'
import { type AppEnv, clientAddress } from '@shop/platform/http/app'
import { authenticate, bearerToken } from '@shop/platform/http/auth'
import { HttpProblem } from '@shop/platform/http/problem'
import { describeRoute, type RouteDoc } from '@shop/platform/http/openapi-meta'
import { body } from '@shop/platform/http/validate'
import type * as v from 'valibot'
import type { AuthApplication } from '../../app/application.ts'
import type { LoggedIn } from '../../app/login.ts'
import type { Registration } from '../../app/register.ts'
import type { User } from '../../domain/user.ts'
import { unwrap } from './errors.ts'
import { ctxOf } from '@shop/kernel/app'
import { LoginBody, RegisterBody, TokenOut, UserOut, VerifyBody, VerifyOut } from './schemas.ts'
import { userBody, userLookup } from './users-routes.ts'

const registration = (b: v.InferOutput<typeof RegisterBody>): Registration => ({
  username: b.username,
  email: b.email,
  password: b.password,
  fullName: b.full_name ?? null,
})

const tokenBody = (t: LoggedIn): v.InferOutput<typeof TokenOut> => ({
  access_token: t.token,
  token_type: 'bearer',
  expires_in: t.expiresIn,
})

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
export function authRoutes(application: AuthApplication, secret: string, trustProxy: TrustProxy): Hono<AppEnv> {
  const { commands, queries } = application
  const auth = new Hono<AppEnv>()
  const signedIn = authenticate({ secret, lookup: userLookup(application) })

  const registerDoc = doc({
    operationId: 'register',
    summary: 'Register a user (role USER)',
    description:
      'Creates an account with the role USER. Usernames and emails are unique ' +
      'without regard to case. Announced as user.created. Registrations are limited ' +
      'per client address (REGISTER_MAX_PER_ADDRESS in REGISTER_WINDOW_SECONDS).',
    responses: {
      201: {
        description:
          'the new user; Location names it (`/api/v1/users/{id}`, where an admin changes its role or deletes it; ' +
          'the user reads it at `/api/v1/users/me`)',
        schema: UserOut,
        headers: { Location: "the new user's URL" },
      },
    },
    errors: {
      409: 'username or email taken (case-insensitive)',
      429: 'too many registrations from this address; see Retry-After',
    },
  })
  auth.post('/register', registerDoc, body(RegisterBody), async (c) => {
    const user = unwrap(
      await commands.register(registration(c.req.valid('json')), clientAddress(c, trustProxy), ctxOf(c)),
    )
    return created(c, `/api/v1/users/${user.id}`, userBody(user))
  })

  const loginDoc = doc({
    operationId: 'login',
    summary: 'Log in with username (or email) and password',
    description:
      'JSON, or an urlencoded form as in the OAuth2 password flow (the Authorize button of /docs). Each ' +
      'attempt is counted before the password is checked, atomically, against three limits in a window: ' +
      'per account and client address (LOGIN_MAX_FAILURES), per client address ' +
      '(LOGIN_MAX_FAILURES_PER_ADDRESS) and per account across addresses (LOGIN_MAX_FAILURES_PER_ACCOUNT); ' +
      'a right password gives its attempt back. Failures from one address never lock the account for ' +
      'another address below the per-account limit. A password over 72 bytes is wrong credentials.',
    responses: { 200: { description: 'an access token', schema: TokenOut, headers: { 'Cache-Control': 'no-store' } } },
    errors: {
      401: 'wrong credentials (same answer for an unknown user)',
      429: 'too many failed attempts; see Retry-After',
    },
  })
  auth.post('/login', loginDoc, body(LoginBody, { form: true }), async (c) => {
    const b = c.req.valid('json')
    const issued = unwrap(await commands.login(b.username, b.password, clientAddress(c, trustProxy)))
    c.header('Cache-Control', 'no-store')
    return c.json(tokenBody(issued))
  })

  const verifyDoc = doc({
    operationId: 'verifyToken',
    summary: 'Check a token',
    description:
      'The token in the body (`{"token"}`) or in `Authorization: Bearer`. The answer carries the user\'s current role.',
    responses: { 200: { description: 'the token is valid', schema: VerifyOut } },
    errors: {
      401: 'no token sent (`TOKEN_MISSING`), or it is invalid, expired, or its user was deleted (`INVALID_TOKEN`)',
    },
  })
  auth.post('/verify', verifyDoc, body(VerifyBody, { optional: true }), async (c) => {
    const token = c.req.valid('json').token ?? bearerToken(c.req.header('Authorization'))
    if (!token)
      throw new HttpProblem(
        401,
        'TOKEN_MISSING',
        'no token was sent: give it as {"token": "..."} in the body or in Authorization: Bearer',
      )
    return c.json(verifiedBody(unwrap(await queries.verify(token))))
  })

  const logoutAllDoc = doc({
    operationId: 'logoutAll',
    summary: 'Sign out everywhere',
    description:
      'Every token of the signed-in user issued before now is refused: by auth at once, by the other ' +
      'services as soon as the user.updated event reaches them (it carries tokens_valid_after). A ' +
      'new login right after gets a token that works. Changing the password does the same.',
    responses: { 204: { description: 'signed out everywhere' } },
  })
  auth.post('/logout-all', logoutAllDoc, signedIn, async (c) => {
    unwrap(await commands.logoutAll(c.get('principal').id, ctxOf(c)))
    return c.body(null, 204)
  })

  return auth
}
