import { type Ctx, corr } from '@shop/kernel/app'
import { type Result, err } from '@shop/kernel/result'
import type { Conflict, TooManyRegistrations } from '../domain/errors.ts'
import { registrationLimit } from '../domain/throttle.ts'
import { type User, newUser } from '../domain/user.ts'
import type { AuthDeps } from '../ports.ts'
import { saveNewUser } from './support/save-user.ts'

export interface Registration {
  readonly username: string
  readonly email: string
  readonly password: string
  readonly fullName?: string | null
}

/** Signs up a user with the USER role; registrations are limited per client `address`. */
export async function register(
  { store, hasher, clock, ids, throttle }: Pick<AuthDeps, 'store' | 'hasher' | 'clock' | 'ids' | 'throttle'>,
  r: Registration,
  address: string,
  ctx: Ctx = {},
): Promise<Result<User, Conflict | TooManyRegistrations>> {
  // Counted before the (costly) hash, whether or not the registration then succeeds.
  const wait = await store.throttle.take([registrationLimit(address, throttle.registrations)], clock.now())
  if (wait > 0) return err({ type: 'TooManyRegistrations', retryAfterSeconds: wait })
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
