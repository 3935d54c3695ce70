/** The order statuses of the contract, in the order an order normally goes through them. */
export const ORDER_STATUSES = ['pending', 'confirmed', 'paid', 'shipped', 'delivered', 'rejected', 'cancelled'] as const
export type OrderStatus = (typeof ORDER_STATUSES)[number]

/**
 * Who moves an order: its owner, an admin, or the system (the catalog's stock answers, a user's
 * deletion). One caller may act as several (an admin's own order).
 */
export type Actor = 'owner' | 'admin' | 'system'

/**
 * The status machine, as data: for each allowed move, who may make it. A move that is not in the
 * table, or made by someone not listed, is refused (409).
 */
export const TRANSITIONS: { readonly [F in OrderStatus]: { readonly [T in OrderStatus]?: readonly Actor[] } } = {
  // Only the catalog's answer to the stock reservation confirms or rejects.
  pending: { confirmed: ['system'], rejected: ['system'], cancelled: ['owner', 'admin', 'system'] },
  confirmed: { paid: ['admin'], cancelled: ['owner', 'admin', 'system'] },
  paid: { shipped: ['admin'], cancelled: ['owner', 'admin', 'system'] },
  shipped: { delivered: ['admin'] },
  delivered: {},
  rejected: {},
  cancelled: {},
}

/** The first of `actors` allowed to move an order from `from` to `to`, or undefined when none is. */
export function permittedActor(from: OrderStatus, to: OrderStatus, actors: readonly Actor[]): Actor | undefined {
  const allowed = TRANSITIONS[from][to]
  return allowed ? actors.find((a) => allowed.includes(a)) : undefined
}

/** Statuses in which the catalog holds reserved stock for the order (reserved, not yet shipped). */
export const STOCK_HELD: readonly OrderStatus[] = ['confirmed', 'paid']

/** Statuses a user's deletion cancels. */
export const OPEN_STATUSES: readonly OrderStatus[] = ['pending', 'confirmed', 'paid']

/** Statuses in which the owner may delete the order (an admin may delete in any). */
export const OWNER_DELETABLE: readonly OrderStatus[] = ['pending', 'cancelled', 'rejected']
