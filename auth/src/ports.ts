import type { Events, Page, Paged } from '@shop/shared-kernel/app'
import type { Result } from '@shop/shared-kernel/result'
import type { Conflict } from './domain/errors.ts'
import type { FailureWindow } from './domain/throttle.ts'
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

/** Failed-login counters, one fixed window per key. */
export interface LoginThrottle {
  windows(keys: readonly string[]): Promise<Map<string, FailureWindow>>
  /** Counts one failure for each key atomically (a new window when the old one has ended). */
  fail(keys: readonly { key: string; windowSeconds: number }[], now: Date): Promise<void>
  clear(key: string): Promise<void>
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
  readonly exp: number
}

export interface Tokens {
  issue(user: User, now: Date): Promise<{ token: string; expiresIn: number }>
  /** undefined for any token that is not acceptable (forged, expired, wrong alg/iss/aud, malformed). */
  verify(token: string): Promise<TokenClaims | undefined>
}

export interface Ids {
  uuid(): string
}
