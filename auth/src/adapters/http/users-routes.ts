import { type Context, Hono } from 'hono'
import type { AppEnv } from '@shop/platform/http/app'
import { authenticate, type Principal, tokenProblem, type UserLookup } from '@shop/platform/http/auth'
import { describeRoute, type RouteDoc } from '@shop/platform/http/openapi-meta'
import { pageEntries, pageHeadersDoc, pagedJson } from '@shop/platform/http/pagination'
import { body, params, query } from '@shop/platform/http/validate'
import * as v from 'valibot'
import type { AuthApplication } from '../../app/application.ts'
import type { ProfileChanges } from '../../app/update-me.ts'
import type { AuthError } from '../../domain/errors.ts'
import { type User, tokenRevoked } from '../../domain/user.ts'
import type { Result } from '@shop/kernel/result'
import { unwrap } from './errors.ts'
import { ctxOf } from '@shop/kernel/app'
import { RoleBody, UpdateMeBody, UserIdParam, UserOut } from './schemas.ts'

/** A user as the API shows it (never its password hash). */
export const userBody = (u: User): v.InferOutput<typeof UserOut> => ({
  id: u.id,
  username: u.username,
  email: u.email,
  full_name: u.fullName,
  role: u.role,
  created_at: u.createdAt.toISOString(),
  updated_at: u.updatedAt.toISOString(),
})

/** A changed user's answer: 200 with the user, or the problem of the use case's error. */
const userJson = (c: Context, r: Result<User, AuthError>) => c.json(userBody(unwrap(r)))

const profileChanges = (b: v.InferOutput<typeof UpdateMeBody>): ProfileChanges => ({
  username: b.username,
  email: b.email,
  fullName: b.full_name,
  password: b.password,
  currentPassword: b.current_password,
})

/** A route's OpenAPI description, under this resource's tag. */
const doc = (d: Omit<RouteDoc, 'tags'>) => describeRoute({ ...d, tags: ['users'] })

/**
 * The token middleware of auth: auth is the source of truth, so a user it no longer has is a
 * deleted one, whose tokens stop working, and a revocation (tokensValidAfter) applies at once.
 */
export function userLookup(application: AuthApplication): UserLookup {
  return async (id) => {
    const r = await application.queries.me(id)
    return r.ok
      ? {
          deleted: false,
          role: r.value.role,
          username: r.value.username,
          tokensValidAfter: r.value.tokensValidAfter?.getTime() ?? null,
        }
      : { deleted: true }
  }
}

/** `/api/v1/users`: the signed-in user's own account, and the admin's work on everyone's. */
export function usersRoutes(application: AuthApplication, secret: string): Hono<AppEnv> {
  const { commands, queries } = application
  const lookup = userLookup(application)
  const signedIn = authenticate({ secret, lookup })
  // For GET /users/me, whose handler reads the user anyway: the token is checked here, and the
  // handler's one read also tells a deleted user (401, as the lookup would). One query, not two.
  const tokenChecked = authenticate({ secret })
  const admin = authenticate({ secret, lookup }, 'ADMIN')

  const users = new Hono<AppEnv>()

  const meDoc = doc({
    operationId: 'getMe',
    summary: 'The signed-in user',
    description: "The account of the token's user, as it is now (a deleted user's token is refused).",
    responses: { 200: { description: 'the user', schema: UserOut } },
  })
  users.get('/me', meDoc, tokenChecked, async (c) => {
    const principal: Principal = c.get('principal')
    const r = await queries.me(principal.id)
    // The same answer as the middleware gives a revoked token.
    if (!r.ok || tokenRevoked(r.value, principal.tokenIat)) throw tokenProblem('revoked')
    return c.json(userBody(r.value))
  })

  const updateMeDoc = doc({
    operationId: 'updateMe',
    summary: 'Update the signed-in user',
    description:
      'Any of username, email, full_name, password. Changing the password ' +
      'needs the right current_password. role and other fields are ignored.',
    responses: { 200: { description: 'the updated user', schema: UserOut } },
    errors: { 403: 'current_password is wrong', 409: 'username or email taken' },
  })
  users.put('/me', updateMeDoc, signedIn, body(UpdateMeBody), async (c) =>
    userJson(c, await commands.updateMe(c.get('principal').id, profileChanges(c.req.valid('json')), ctxOf(c))),
  )

  const listDoc = doc({
    operationId: 'listUsers',
    summary: 'List users (admin), oldest first',
    description:
      'Every account, oldest first, a page at a time: `X-Total-Count` ' +
      'counts them all, `Link` points to the next and previous pages.',
    responses: { 200: { description: 'a page of users', schema: v.array(UserOut), headers: pageHeadersDoc } },
  })
  users.get('/', listDoc, admin, query(v.object(pageEntries)), async (c) => {
    const page = c.req.valid('query')
    return pagedJson(c, page, await queries.listUsers(page), userBody)
  })

  const roleDoc = doc({
    operationId: 'changeRole',
    summary: "Change a user's role (admin)",
    description:
      'Sets the role to USER or ADMIN. Announced as user.updated: ' +
      'every service applies the new role to tokens already issued.',
    responses: { 200: { description: 'the updated user', schema: UserOut } },
    errors: { 404: 'no such user' },
  })
  users.put('/:id/role', roleDoc, admin, params(UserIdParam), body(RoleBody), async (c) =>
    userJson(c, await commands.changeRole(c.req.valid('param').id, c.req.valid('json').role, ctxOf(c))),
  )

  const deleteDoc = doc({
    operationId: 'deleteUser',
    summary: 'Delete a user (admin)',
    description:
      "Other services learn of it from the user.deleted event: the user's " +
      'tokens stop working everywhere and their open orders are cancelled.',
    responses: { 204: { description: 'deleted' } },
    errors: { 404: 'no such user', 409: 'an admin cannot delete their own account' },
  })
  users.delete('/:id', deleteDoc, admin, params(UserIdParam), async (c) => {
    unwrap(await commands.deleteUser(c.get('principal').id, c.req.valid('param').id, ctxOf(c)))
    return c.body(null, 204)
  })

  return users
}
