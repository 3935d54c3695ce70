import { type Ctx, corr } from '@shop/kernel/app'
import { type Result, err, ok } from '@shop/kernel/result'
import type { AuthError } from '../domain/errors.ts'
import { userDeleted } from '../domain/user.ts'
import type { AuthDeps } from '../ports.ts'

/**
 * The admin deletes an account (user.deleted). `actorId` is the admin asking: an admin cannot delete their own account.
 */
export async function deleteUser(
  { store }: Pick<AuthDeps, 'store'>,
  actorId: string,
  id: string,
  ctx: Ctx = {},
): Promise<Result<null, AuthError>> {
  if (actorId === id) return err({ type: 'CannotDeleteSelf' })
  return store.transact(async (tx): Promise<Result<null, AuthError>> => {
    const user = await tx.users.byId(id, true)
    if (!user) return err({ type: 'UserNotFound', id })
    await tx.users.remove(id)
    await tx.events.add(userDeleted(user), corr(ctx))
    return ok(null)
  })
}
