import { type Result, err, ok } from '@shop/kernel/result'
import type { AuthError } from '../domain/errors.ts'
import { type User, tokenRevoked } from '../domain/user.ts'
import type { AuthDeps } from '../ports.ts'

/**
 * A token is valid when it verifies, its user still exists and has not revoked it; the answer carries the user's
 * current role.
 */
export async function verify(
  { store, tokens }: Pick<AuthDeps, 'store' | 'tokens'>,
  token: string,
): Promise<Result<{ user: User; exp: number }, AuthError>> {
  const claims = await tokens.verify(token)
  if (!claims) return err({ type: 'InvalidToken' })
  const user = await store.users.byId(claims.userId)
  if (!user || tokenRevoked(user, claims.iat)) return err({ type: 'InvalidToken' })
  return ok({ user, exp: claims.exp })
}
