import type { Clock } from '@shop/shared-kernel/app'
import type { ThrottleRule } from '../domain/throttle.ts'
import type { AuthStore, Ids, PasswordHasher, Tokens } from '../ports.ts'

/** What auth's use cases run on; each takes the part it needs. */
export interface AuthDeps {
  readonly store: AuthStore
  readonly hasher: PasswordHasher
  readonly tokens: Tokens
  readonly clock: Clock
  readonly ids: Ids
  /** Failed-login limits: one counter per account, one per client address. */
  readonly throttle: { readonly perUsername: ThrottleRule; readonly perAddress: ThrottleRule }
}
