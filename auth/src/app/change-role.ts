import { type Ctx, corr } from '@shop/kernel/app'
import { type Result, err } from '@shop/kernel/result'
import type { AuthError } from '../domain/errors.ts'
import type { Role, User } from '../domain/user.ts'
import type { AuthDeps } from '../ports.ts'
import { saveChangedUser } from './support/save-user.ts'

/** The admin sets a user's role; announced as user.updated (the other services apply it to tokens already issued). */
export function changeRole(
  { store, clock }: Pick<AuthDeps, 'store' | 'clock'>,
  id: string,
  role: Role,
  ctx: Ctx = {},
): Promise<Result<User, AuthError>> {
  return store.transact(async (tx): Promise<Result<User, AuthError>> => {
    const user = await tx.users.byId(id, true)
    if (!user) return err({ type: 'UserNotFound', id })
    return saveChangedUser(tx, user, { role }, clock.now(), corr(ctx))
  })
}
