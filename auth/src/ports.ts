import type { Clock, Events, Page, Paged } from '@shop/kernel/app'
import type { Result } from '@shop/kernel/result'
import type { Conflict } from './domain/errors.ts'
import type { AttemptLimit, LoginRules, ThrottleRule } from './domain/throttle.ts'
import type { User } from './domain/user.ts'

/** The user store. Username and email lookups are case-insensitive; uniqueness is the store's to enforce. */
export interface Users {
  /** `lock` holds the row until the transaction ends (ignored outside one). */
  byId(id: string, lock?: boolean): Promise<User | undefined>
  byUsername(username: string): Promise<User | undefined>
  byEmail(email: string): Promise<User | undefined>
  insert(user: User): Promise<Result<User, Conflict>>
  /** Writes every field of `user` over the row with its id. */
  update(user: User): Promise<Result<User, Conflict>>
  remove(id: string): Promise<boolean>
  /** Oldest first. */
  list(page: Page): Promise<Paged<User>>
}

export interface AuthTx {
  readonly users: Users
  readonly events: Events
}

/** Attempt counters of the login and registration limits, one fixed window per key. */
export interface LoginThrottle {
  /**
   * Takes one attempt from every counter at once, atomically, all or none: when any of them is at
   * its max in its current window, none is taken and the answer is the seconds to wait; 0 when
   * taken. A counter whose window has ended starts a new one. Parallel callers cannot all pass.
   */
  take(limits: readonly AttemptLimit[], now: Date): Promise<number>
  /**
   * Gives one attempt back to each counter (a login that was right), within its current window; `forget` counters are
   * cleared.
   */
  giveBack(limits: readonly AttemptLimit[], forget: readonly string[], now: Date): Promise<void>
  /** Whether `account` logged in successfully from `address` at or after `since`. */
  isKnown(account: string, address: string, since: Date): Promise<boolean>
  /** Records a successful login of `account` from `address` at `now` (it is then known). */
  remember(account: string, address: string, now: Date): Promise<void>
  /**
   * Housekeeping: deletes counters whose window has ended by `now` and known addresses last used
   * before `knownSince`; returns how many rows went.
   */
  prune(now: Date, knownSince: Date): Promise<number>
}

export interface AuthStore {
  /** Reads outside any transaction. */
  readonly users: Users
  readonly throttle: LoginThrottle
  /** Runs `work` in one transaction: commits when it returns ok, rolls back when it returns an error or throws. */
  transact<T, E>(work: (tx: AuthTx) => Promise<Result<T, E>>): Promise<Result<T, E>>
}

export interface PasswordHasher {
  hash(password: string): Promise<string>
  verify(password: string, hash: string): Promise<boolean>
}

export interface TokenClaims {
  readonly userId: string
  readonly username: string
  readonly role: User['role']
  /** Issued at, in whole seconds (0 when the token has no `iat`). */
  readonly iat: number
  readonly exp: number
}

export interface Tokens {
  /** A token issued at `now`, never one its user's `tokensValidAfter` already refuses. */
  issue(user: User, now: Date): Promise<{ token: string; expiresIn: number }>
  /** undefined for any token that is not acceptable (forged, expired, wrong alg/iss/aud, malformed). */
  verify(token: string): Promise<TokenClaims | undefined>
}

export interface Ids {
  uuid(): string
}

/** What auth's use cases run on; each takes the part it needs. */
export interface AuthDeps {
  readonly store: AuthStore
  readonly hasher: PasswordHasher
  readonly tokens: Tokens
  readonly clock: Clock
  readonly ids: Ids
  /** Login limits (per account and address, per address, per account) and registrations per address. */
  readonly throttle: { readonly login: LoginRules; readonly registrations: ThrottleRule }
}
