import { type Result, err, ok } from '@shop/shared-kernel/result'
import type { AuthError } from '../domain/errors.ts'
import type { User } from '../domain/user.ts'
import type { AuthDeps } from './deps.ts'

/** The signed-in user; auth is the source of truth, so an id it does not know is a deleted user (InvalidToken). */
export const me =
  ({ store }: Pick<AuthDeps, 'store'>) =>
  async (id: string): Promise<Result<User, AuthError>> => {
    const user = await store.users.byId(id)
    return user ? ok(user) : err({ type: 'InvalidToken' })
  }
