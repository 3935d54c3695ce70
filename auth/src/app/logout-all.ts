import { type Ctx, corr } from '@shop/kernel/app'
import { type Result, err, ok } from '@shop/kernel/result'
import type { AuthError } from '../domain/errors.ts'
import { revocationCutoff } from '../domain/user.ts'
import type { AuthDeps } from '../ports.ts'
import { saveChangedUser } from './support/save-user.ts'

/**
 * Signs the user out everywhere: every token issued before now is refused, here at once and in
 * the other services when the user.updated it records reaches them (it carries the cut-off).
 */
export function logoutAll(
  { store, clock }: Pick<AuthDeps, 'store' | 'clock'>,
  id: string,
  ctx: Ctx = {},
): Promise<Result<null, AuthError>> {
  return store.transact(async (tx): Promise<Result<null, AuthError>> => {
    const user = await tx.users.byId(id, true)
    if (!user) return err({ type: 'InvalidToken' })
    const now = clock.now()
    const saved = await saveChangedUser(tx, user, { tokensValidAfter: revocationCutoff(now) }, now, corr(ctx))
    return saved.ok ? ok(null) : saved
  })
}
