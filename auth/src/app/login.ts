import { type Result, err, ok } from '@shop/shared-kernel/result'
import type { AuthError } from '../domain/errors.ts'
import { retryAfter } from '../domain/throttle.ts'
import { type User, isEmailLogin, normalizeEmail } from '../domain/user.ts'
import type { Users } from '../ports.ts'
import type { AuthDeps } from './deps.ts'

export interface LoggedIn {
  readonly token: string
  readonly expiresIn: number
  readonly user: User
}

/**
 * Exchanges a login (a username or an email) and a password for a token. Failed attempts are
 * counted per account and per client `address`; past either limit, logins wait out the window.
 */
export function login({ store, hasher, tokens, clock, ids, throttle }: AuthDeps) {
  // Unknown users still cost one bcrypt verification, so timing does not reveal who exists.
  let decoy: Promise<string> | undefined
  const decoyHash = () => (decoy ??= hasher.hash(`decoy-${ids.uuid()}`))

  return async (loginName: string, password: string, address: string): Promise<Result<LoggedIn, AuthError>> => {
    const now = clock.now()
    const user = await findByLogin(store.users, loginName)
    const keys = throttleKeys(loginName, user, address)
    const windows = await store.throttle.windows([keys.user, keys.address])
    const wait = Math.max(
      retryAfter(windows.get(keys.user), throttle.perUsername, now),
      retryAfter(windows.get(keys.address), throttle.perAddress, now),
    )
    if (wait > 0) return err({ type: 'TooManyAttempts', retryAfterSeconds: wait })
    const good = user ? await hasher.verify(password, user.passwordHash) : (await hasher.verify(password, await decoyHash()), false)
    if (!user || !good) {
      await store.throttle.fail(
        [
          { key: keys.user, windowSeconds: throttle.perUsername.windowSeconds },
          { key: keys.address, windowSeconds: throttle.perAddress.windowSeconds },
        ],
        now,
      )
      return err({ type: 'InvalidCredentials' })
    }
    if (windows.has(keys.user)) await store.throttle.clear(keys.user)
    const issued = await tokens.issue(user, now)
    return ok({ ...issued, user })
  }
}

const findByLogin = (users: Users, loginName: string): Promise<User | undefined> =>
  isEmailLogin(loginName) ? users.byEmail(normalizeEmail(loginName)) : users.byUsername(loginName)

// One counter per account, whichever name reaches it (username or email, any case), so the two
// doors do not double the attempts; a login that names no account counts under that name.
const throttleKeys = (loginName: string, user: User | undefined, address: string) => ({
  user: user ? `user:${user.id}` : `login:${loginName.trim().toLowerCase()}`,
  address: `addr:${address}`,
})
