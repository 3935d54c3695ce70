import { type Result, err, ok } from '@shop/kernel/result'
import type { AuthError } from '../domain/errors.ts'
import type { User } from '../domain/user.ts'
import type { AuthDeps } from '../ports.ts'

/** The signed-in user; auth is the source of truth, so an id it does not know is a deleted user (InvalidToken). */
export async function me({ store }: Pick<AuthDeps, 'store'>, id: string): Promise<Result<User, AuthError>> {
  const user = await store.users.byId(id)
  return user ? ok(user) : err({ type: 'InvalidToken' })
}
