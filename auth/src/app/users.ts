import { type Ctx, type Page, type Paged, corr } from '@shop/shared-kernel/app'
import { type Result, err, ok } from '@shop/shared-kernel/result'
import type { AuthError } from '../domain/errors.ts'
import { type Role, type User, userDeleted } from '../domain/user.ts'
import type { AuthDeps } from './deps.ts'
import { saveChangedUser } from './save-user.ts'

// The admin's work on accounts: listing them, changing a role, deleting one.

/** Oldest first. */
export const listUsers =
  ({ store }: Pick<AuthDeps, 'store'>) =>
  (page: Page): Promise<Paged<User>> =>
    store.users.list(page)

export const changeRole =
  ({ store, clock }: Pick<AuthDeps, 'store' | 'clock'>) =>
  (id: string, role: Role, ctx: Ctx = {}): Promise<Result<User, AuthError>> =>
    store.transact(async (tx): Promise<Result<User, AuthError>> => {
      const user = await tx.users.byId(id, true)
      if (!user) return err({ type: 'UserNotFound', id })
      return saveChangedUser(tx, user, { role }, clock.now(), corr(ctx))
    })

/** `actorId` is the admin asking: an admin cannot delete their own account. */
export const deleteUser =
  ({ store }: Pick<AuthDeps, 'store'>) =>
  async (actorId: string, id: string, ctx: Ctx = {}): Promise<Result<null, AuthError>> => {
    if (actorId === id) return err({ type: 'CannotDeleteSelf' })
    return store.transact(async (tx): Promise<Result<null, AuthError>> => {
      const user = await tx.users.byId(id, true)
      if (!user) return err({ type: 'UserNotFound', id })
      await tx.users.remove(id)
      await tx.events.add(userDeleted(user), corr(ctx))
      return ok(null)
    })
  }
