import { type Ctx, corr } from '@shop/shared-kernel/app'
import type { Result } from '@shop/shared-kernel/result'
import type { Conflict } from '../domain/errors.ts'
import { type User, newUser } from '../domain/user.ts'
import type { AuthDeps } from './deps.ts'
import { saveNewUser } from './save-user.ts'

export interface Registration {
  readonly username: string
  readonly email: string
  readonly password: string
  readonly fullName?: string | null
}

/** Signs up a user with the USER role. */
export const register =
  ({ store, hasher, clock, ids }: Pick<AuthDeps, 'store' | 'hasher' | 'clock' | 'ids'>) =>
  async (r: Registration, ctx: Ctx = {}): Promise<Result<User, Conflict>> => {
    const passwordHash = await hasher.hash(r.password)
    const user = newUser({
      id: ids.uuid(),
      username: r.username,
      email: r.email,
      fullName: r.fullName ?? null,
      role: 'USER',
      passwordHash,
      now: clock.now(),
    })
    return store.transact((tx) => saveNewUser(tx, user, corr(ctx)))
  }
