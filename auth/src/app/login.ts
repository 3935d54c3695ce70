import { type Result, err, ok } from '@shop/kernel/result'
import type { AuthError } from '../domain/errors.ts'
import { knownSince, loginLimits } from '../domain/throttle.ts'
import { type User, fitsBcrypt, isEmailLogin, normalizeEmail } from '../domain/user.ts'
import type { AuthDeps, Ids, PasswordHasher, Users } from '../ports.ts'

export interface LoggedIn {
  readonly token: string
  readonly expiresIn: number
  readonly user: User
}

/**
 * Exchanges a login (a username or an email) and a password for a token. The attempt is counted
 * before the password is checked, under three limits at once and atomically (see loginLimits),
 * so parallel guesses are held to them; a right password gives the attempt back and makes the
 * address known for the account (then only its own per-address counter applies there). Past a
 * limit, logins wait out its window.
 */
export async function login(
  { store, hasher, tokens, clock, ids, throttle }: AuthDeps,
  loginName: string,
  password: string,
  address: string,
): Promise<Result<LoggedIn, AuthError>> {
  const user = await findByLogin(store.users, loginName)
  // One counter set per account, whichever name reaches it (username or email, any case), so
  // the two doors do not double the attempts; a login that names no account counts under that name.
  const account = user ? `user:${user.id}` : `login:${loginName.trim().toLowerCase()}`
  // An address the account logged in from lately is held only to its own counter (no lockout by strangers).
  const known = user ? await store.throttle.isKnown(account, address, knownSince(clock.now())) : false
  const limits = loginLimits(account, address, throttle.login, known)
  const wait = await store.throttle.take(limits.all, clock.now())
  if (wait > 0) return err({ type: 'TooManyAttempts', retryAfterSeconds: wait })
  // bcrypt reads only 72 bytes: a longer password is wrong, never a match on its first 72.
  let good = false
  if (user && fitsBcrypt(password)) good = await hasher.verify(password, user.passwordHash)
  else await hasher.verify('not-the-password', await decoyHash(hasher, ids))
  if (!user || !good) return err({ type: 'InvalidCredentials' })
  // Right: the attempt was no failure. Give it back, and forget this address's failures for the account.
  await store.throttle.giveBack(
    limits.all.filter((l) => l !== limits.pair),
    [limits.pair.key],
    clock.now(),
  )
  await store.throttle.remember(account, address, clock.now())
  const issued = await tokens.issue(user, clock.now())
  return ok({ ...issued, user })
}

const findByLogin = (users: Users, loginName: string): Promise<User | undefined> =>
  isEmailLogin(loginName) ? users.byEmail(normalizeEmail(loginName)) : users.byUsername(loginName)

// Unknown users still cost one bcrypt verification, so timing does not reveal who exists: one
// decoy hash per hasher, made on first need.
const decoys = new WeakMap<PasswordHasher, Promise<string>>()
function decoyHash(hasher: PasswordHasher, ids: Ids): Promise<string> {
  let decoy = decoys.get(hasher)
  if (!decoy) {
    decoy = hasher.hash(`decoy-${ids.uuid()}`)
    decoys.set(hasher, decoy)
  }
  return decoy
}
