/**
 * Who moves an order: its owner, an admin, or the system (the catalog's stock answers, a user's
 * deletion). One caller may act as several (an admin's own order).
 */
export type Actor = 'owner' | 'admin' | 'system'

/**
 * What entering a status does to the stock side of the order (the saga with the catalog, see
 * reservation.ts); app/support/status-change.ts carries it out.
 * - request: the catalog is asked to reserve the order's lines (`order.placed`): entered at creation;
 * - hold: the catalog granted the outstanding request, it holds the stock now;
 * - release: stock the catalog holds for the order goes back (`order.cancelled`); a request still
 *   outstanding is released when its answer comes;
 * - end: the saga is over and nothing goes back: the stock is sold, or was never reserved;
 * - null: nothing.
 */
export type OnEnter = 'request' | 'hold' | 'release' | 'end' | null

/** One status of the table below; `S` is every status of the table. */
export interface StatusRule<S extends string> {
  /** The catalog holds reserved stock for the order (reserved, not yet shipped). */
  readonly holdsStock: boolean
  /** Open: a user's deletion cancels the order (the system may move it to cancelled). */
  readonly open: boolean
  /** The owner may delete the order (an admin may in any status). */
  readonly ownerDeletable: boolean
  /**
   * The moves into this status: who may make them, by the status they come from. A move that is
   * not here, or made by someone not listed, is refused (409). Empty: only entered at creation, or
   * never.
   */
  readonly from: { readonly [F in S]?: readonly Actor[] }
  readonly onEnter: OnEnter
}

/** Checks each rule against the table's own statuses: a `from` naming a status not in the table does not compile. */
const statusTable = <const T extends { readonly [S in keyof T]: StatusRule<keyof T & string> }>(table: T): T => table

/**
 * The order statuses and everything that follows from each, in the order an order normally goes
 * through them. The lists below, the HTTP schemas and descriptions derive from it; the database's
 * CHECK on orders.status and the lifecycle in docs/api.md are tested against it (order/test/status.test.ts).
 * Adding a status: docs/contributing.md, "Add a status".
 */
const table = statusTable({
  // An order is created pending (newOrder); nothing moves one back to it.
  pending: { holdsStock: false, open: true, ownerDeletable: true, from: {}, onEnter: 'request' },
  // Only the catalog's answer to the stock reservation confirms or rejects.
  confirmed: { holdsStock: true, open: true, ownerDeletable: false, from: { pending: ['system'] }, onEnter: 'hold' },
  paid: { holdsStock: true, open: true, ownerDeletable: false, from: { confirmed: ['admin'] }, onEnter: null },
  // Shipped goods have left the warehouse: the reserved stock is sold, nothing is held any more.
  shipped: { holdsStock: false, open: false, ownerDeletable: false, from: { paid: ['admin'] }, onEnter: 'end' },
  delivered: { holdsStock: false, open: false, ownerDeletable: false, from: { shipped: ['admin'] }, onEnter: null },
  rejected: { holdsStock: false, open: false, ownerDeletable: true, from: { pending: ['system'] }, onEnter: 'end' },
  cancelled: {
    holdsStock: false,
    open: false,
    ownerDeletable: true,
    from: {
      pending: ['owner', 'admin', 'system'],
      confirmed: ['owner', 'admin', 'system'],
      paid: ['owner', 'admin', 'system'],
    },
    onEnter: 'release',
  },
})

export type OrderStatus = keyof typeof table
export const STATUSES: { readonly [S in OrderStatus]: StatusRule<OrderStatus> } = table

/** Every status, in the table's order. */
export const ORDER_STATUSES = Object.keys(STATUSES) as readonly OrderStatus[]

const where = (rule: (r: StatusRule<OrderStatus>) => boolean): readonly OrderStatus[] =>
  ORDER_STATUSES.filter((s) => rule(STATUSES[s]))

/** The first of `actors` allowed to move an order from `from` to `to`, or undefined when none is. */
export function permittedActor(from: OrderStatus, to: OrderStatus, actors: readonly Actor[]): Actor | undefined {
  const allowed = STATUSES[to].from[from]
  return allowed ? actors.find((a) => allowed.includes(a)) : undefined
}

/** Statuses in which the catalog holds reserved stock for the order. */
export const STOCK_HELD = where((r) => r.holdsStock)

/** Statuses a user's deletion cancels. */
export const OPEN_STATUSES = where((r) => r.open)

/** Statuses in which the owner may delete the order (an admin may delete in any). */
export const OWNER_DELETABLE = where((r) => r.ownerDeletable)

/** The statuses an owner may ask for (from some status); anything else is an admin's to set. */
export const OWNER_SETTABLE = where((r) => Object.values(r.from).some((actors) => actors?.includes('owner')))
