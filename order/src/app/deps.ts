import type { Clock } from '@shop/shared-kernel/app'
import type { OrderStore } from '../ports.ts'

/** What every order use case runs on: the store (its transactions carry the outbox and the inbox) and the clock. */
export interface OrderDeps {
  readonly store: OrderStore
  readonly clock: Clock
}
