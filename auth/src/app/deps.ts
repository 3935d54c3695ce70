import type { Clock } from '@shop/shared-kernel/app'
import type { LoginRules, ThrottleRule } from '../domain/throttle.ts'
import type { AuthStore, Ids, PasswordHasher, Tokens } from '../ports.ts'

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
