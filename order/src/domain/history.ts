import type { Actor, OrderStatus } from './status.ts'

/** One entry of an order's status history. Creation is recorded too, from null to pending. */
export interface StatusChange {
  readonly orderId: number
  readonly from: OrderStatus | null
  readonly to: OrderStatus
  readonly actor: Actor
  /** The user id of the owner or admin, or 'system'. */
  readonly by: string
  /** Why, when the system moved it: the catalog's rejection reason, or the user's deletion. */
  readonly reason: string | null
  /** For a rejection: the products the catalog could not reserve. */
  readonly productIds: readonly number[] | null
  readonly at: Date
}

export const SYSTEM = 'system'

export function statusChange(c: {
  orderId: number
  from: OrderStatus | null
  to: OrderStatus
  actor: Actor
  by: string
  at: Date
  reason?: string | null
  productIds?: readonly number[] | null
}): StatusChange {
  return {
    orderId: c.orderId,
    from: c.from,
    to: c.to,
    actor: c.actor,
    by: c.actor === 'system' ? SYSTEM : c.by,
    reason: c.reason ?? null,
    productIds: c.productIds ?? null,
    at: c.at,
  }
}
