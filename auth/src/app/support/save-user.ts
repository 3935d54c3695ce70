import { type Result, ok } from '@shop/kernel/result'
import type { Conflict } from '../../domain/errors.ts'
import { type User, type UserChanges, changeUser, userCreated, userUpdated } from '../../domain/user.ts'
import type { AuthTx } from '../../ports.ts'

/** Inside a transaction: inserts a new user and records user.created with it. */
export async function saveNewUser(
  tx: AuthTx,
  user: User,
  correlationId: string | null,
): Promise<Result<User, Conflict>> {
  const inserted = await tx.users.insert(user)
  if (inserted.ok) await tx.events.add(userCreated(inserted.value), correlationId)
  return inserted
}

/**
 * Inside a transaction: applies `changes` to `user` (read under lock) and saves it with a
 * user.updated event; a change that changes nothing saves nothing and records nothing.
 */
export async function saveChangedUser(
  tx: AuthTx,
  user: User,
  changes: UserChanges,
  now: Date,
  correlationId: string | null,
): Promise<Result<User, Conflict>> {
  const next = changeUser(user, changes, now)
  if (next === user) return ok(user)
  const saved = await tx.users.update(next)
  if (saved.ok) await tx.events.add(userUpdated(saved.value), correlationId)
  return saved
}
