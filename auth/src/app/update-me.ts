import { type Ctx, corr } from '@shop/kernel/app'
import { type Result, err } from '@shop/kernel/result'
import type { AuthError } from '../domain/errors.ts'
import { type User, type UserChanges, revocationCutoff } from '../domain/user.ts'
import type { AuthDeps } from '../ports.ts'
import { saveChangedUser } from './support/save-user.ts'

/**
 * What users may change of themselves; a new password needs the current one, and revokes every token issued before it.
 */
export interface ProfileChanges {
  readonly username?: string
  readonly email?: string
  readonly fullName?: string | null
  readonly password?: string
  readonly currentPassword?: string
}

export async function updateMe(
  { store, hasher, clock }: Pick<AuthDeps, 'store' | 'hasher' | 'clock'>,
  id: string,
  changes: ProfileChanges,
  ctx: Ctx = {},
): Promise<Result<User, AuthError>> {
  const current = await store.users.byId(id)
  if (!current) return err({ type: 'InvalidToken' })
  const patch: { -readonly [K in keyof UserChanges]: UserChanges[K] } = {}
  if (changes.username !== undefined) patch.username = changes.username
  if (changes.email !== undefined) patch.email = changes.email
  if (changes.fullName !== undefined) patch.fullName = changes.fullName
  if (changes.password !== undefined) {
    if (changes.currentPassword === undefined) return err({ type: 'CurrentPasswordRequired' })
    if (!(await hasher.verify(changes.currentPassword, current.passwordHash)))
      return err({ type: 'WrongCurrentPassword' })
    patch.passwordHash = await hasher.hash(changes.password)
    patch.tokensValidAfter = revocationCutoff(clock.now())
  }
  return store.transact(async (tx): Promise<Result<User, AuthError>> => {
    const user = await tx.users.byId(id, true)
    if (!user) return err({ type: 'InvalidToken' })
    // The password was checked against the row read before; refuse if it changed meanwhile.
    if (patch.passwordHash && user.passwordHash !== current.passwordHash) return err({ type: 'WrongCurrentPassword' })
    return saveChangedUser(tx, user, patch, clock.now(), corr(ctx))
  })
}
