import type { Role } from '@shop/kernel/events'
import { type Money, sum, times } from '@shop/kernel/money'
import { type Result, err, ok } from '@shop/kernel/result'
import type { EditableField, OrderError } from './errors.ts'
import { type LineSnapshot, type ReplicaProduct, snapshotOf } from './product.ts'
import { type Actor, type OrderStatus, OWNER_DELETABLE, OWNER_SETTABLE, permittedActor } from './status.ts'

export const MIN_QUANTITY = 1
export const MAX_QUANTITY = 1000
export const MAX_LINES = 100
export const SHIPPING_ADDRESS_MAX = 1000

export interface OrderLine extends LineSnapshot {
  readonly productId: number
  readonly quantity: number
  /** unitPrice × quantity, exact. */
  readonly lineTotal: Money
}

export interface Order {
  readonly id: number
  readonly userId: string
  readonly status: OrderStatus
  readonly items: readonly OrderLine[]
  readonly totalQuantity: number
  readonly total: Money
  readonly shippingAddress: string | null
  readonly createdAt: Date
  readonly updatedAt: Date
}

/** An order before the store has given it an id. */
export type NewOrder = Omit<Order, 'id'>

/** A line as a client asks for it. */
export interface LineRequest {
  readonly productId: number
  readonly quantity: number
}

/** A line as the catalog sees it: product and quantity (what order.placed and order.cancelled carry). */
export interface StockLine {
  readonly productId: number
  readonly quantity: number
}

/** Who asks: the user id and role from the token (never from the body). */
export interface Caller {
  readonly id: string
  readonly role: Role
}

/**
 * Lines for the same product are merged, their quantities summed, in the order each product first
 * appears. A merged quantity outside 1..1000 is refused, as a single line's would be.
 */
export function mergeLines(lines: readonly LineRequest[]): Result<LineRequest[], OrderError> {
  const merged = new Map<number, number>()
  for (const l of lines) merged.set(l.productId, (merged.get(l.productId) ?? 0) + l.quantity)
  const out: LineRequest[] = []
  for (const [productId, quantity] of merged) {
    if (quantity < MIN_QUANTITY || quantity > MAX_QUANTITY)
      return err({ type: 'QuantityOutOfRange', productId, quantity })
    out.push({ productId, quantity })
  }
  return ok(out)
}

/** The ids of `lines` that the replica does not know, or knows as deleted, sorted. */
export function unorderable(lines: readonly LineRequest[], products: ReadonlyMap<number, ReplicaProduct>): number[] {
  return lines
    .filter((l) => {
      const p = products.get(l.productId)
      return !p || p.deleted
    })
    .map((l) => l.productId)
    .sort((a, b) => a - b)
}

/**
 * Prices merged lines from the replica. A product the order already had keeps its line's snapshot
 * (a later catalog change does not alter a line the customer agreed to); only a product new to the
 * order is snapshotted now. Every product must be orderable (see unorderable).
 */
export function priceLines(
  lines: readonly LineRequest[],
  products: ReadonlyMap<number, ReplicaProduct>,
  previous: readonly OrderLine[] = [],
): OrderLine[] {
  const before = new Map(previous.map((l) => [l.productId, l]))
  return lines.map((l) => {
    const old = before.get(l.productId)
    if (old) return { ...old, quantity: l.quantity, lineTotal: times(old.unitPrice, l.quantity) }
    const p = products.get(l.productId)
    if (!p || p.deleted) throw new Error(`product ${l.productId} is not orderable`)
    const snapshot = snapshotOf(p)
    return {
      productId: l.productId,
      ...snapshot,
      quantity: l.quantity,
      lineTotal: times(snapshot.unitPrice, l.quantity),
    }
  })
}

export function totals(lines: readonly OrderLine[]): { totalQuantity: number; total: Money } {
  return { totalQuantity: lines.reduce((n, l) => n + l.quantity, 0), total: sum(lines.map((l) => l.lineTotal)) }
}

export function newOrder(o: {
  userId: string
  items: readonly OrderLine[]
  shippingAddress: string | null
  now: Date
}): NewOrder {
  return {
    userId: o.userId,
    status: 'pending',
    items: o.items,
    ...totals(o.items),
    shippingAddress: o.shippingAddress,
    createdAt: o.now,
    updatedAt: o.now,
  }
}

/** The lines as the catalog sees them: product and quantity. */
export const stockLines = (lines: readonly StockLine[]): StockLine[] =>
  lines.map((l) => ({ productId: l.productId, quantity: l.quantity }))

/** Same products in the same quantities, whatever the order of the lines. */
export function sameStockLines(a: readonly StockLine[], b: readonly StockLine[]): boolean {
  if (a.length !== b.length) return false
  const qty = new Map(a.map((l) => [l.productId, l.quantity]))
  return b.every((l) => qty.get(l.productId) === l.quantity)
}

const isOwner = (order: Order, caller: Caller): boolean => order.userId === caller.id

/** Someone else's order is invisible: the caller learns nothing about it (404, never 403). */
export const canView = (order: Order, caller: Caller): boolean => isOwner(order, caller) || caller.role === 'ADMIN'

/** The order `id` as the caller may see it: a missing order and someone else's are both not found. */
export const visibleOrder = (order: Order | undefined, caller: Caller, id: number): Result<Order, OrderError> =>
  order && canView(order, caller) ? ok(order) : err({ type: 'OrderNotFound', id })

/**
 * The roles a caller plays toward an order, the owner's first (an admin cancelling their own order does it as owner).
 */
function actorsOf(order: Order, caller: Caller): Actor[] {
  const actors: Actor[] = []
  if (isOwner(order, caller)) actors.push('owner')
  if (caller.role === 'ADMIN') actors.push('admin')
  return actors
}

/** What a caller asks to change in one request: items (merged, see mergeLines), shipping address, status. */
export interface OrderChange {
  readonly items?: readonly LineRequest[] | undefined
  readonly shippingAddress?: string | null | undefined
  readonly status?: OrderStatus | undefined
}

export type UpdateDecision =
  /** What was sent is what is there (a whole representation sent back): nothing to write. */
  | { readonly kind: 'unchanged' }
  /** Items or shipping address edited; with `itemsChanged` the catalog must be asked for the new lines. */
  | { readonly kind: 'edited'; readonly order: Order; readonly itemsChanged: boolean }
  /** A status change along the table, made by `actor`. */
  | { readonly kind: 'moved'; readonly order: Order; readonly actor: Actor }

/**
 * The one decision of a change request. The owner edits items and shipping address while the order
 * is pending, or cancels; an admin moves the status along the table. A request for what the caller
 * may not change is refused as a whole, never partly applied: a status the owner may not set
 * (OWNER_SETTABLE) from a caller who is not an admin (StatusChangeForbidden, even the status the
 * order has), items or shipping address from an admin on someone else's order (EditForbidden, even
 * the values it has).
 * A status never changes together with a real edit; parts that repeat what is there do not count as
 * edits. `products`: the replica's view of the requested lines' products.
 */
export function decideUpdate(
  order: Order,
  caller: Caller,
  change: OrderChange,
  products: ReadonlyMap<number, ReplicaProduct>,
  now: Date,
): Result<UpdateDecision, OrderError> {
  const actors = actorsOf(order, caller)
  if (change.status !== undefined && !OWNER_SETTABLE.includes(change.status) && !actors.includes('admin'))
    return err({ type: 'StatusChangeForbidden', status: change.status })
  if (!actors.includes('owner')) {
    const fields: EditableField[] = []
    if (change.items !== undefined) fields.push('items')
    if (change.shippingAddress !== undefined) fields.push('shipping_address')
    if (fields.length) return err({ type: 'EditForbidden', fields })
  }
  const { status, items: lines, shippingAddress: address } = change
  const itemsChanged = lines !== undefined && !sameStockLines(stockLines(lines), stockLines(order.items))
  const addressChanged = address !== undefined && address !== order.shippingAddress
  if (status !== undefined) {
    if (itemsChanged || addressChanged) return err({ type: 'StatusWithEdits' })
    const moved = changeStatus(order, status, actors, now)
    return moved.ok ? ok({ kind: 'moved', ...moved.value }) : moved
  }
  if (!itemsChanged && !addressChanged) return ok({ kind: 'unchanged' })
  // Checked before the products, so a late edit is 409 whatever it names.
  if (order.status !== 'pending') return err({ type: 'NotEditable', status: order.status })
  let items = order.items
  if (itemsChanged) {
    const missing = unorderable(lines, products)
    if (missing.length) return err({ type: 'UnknownProducts', productIds: missing })
    items = priceLines(lines, products, order.items)
  }
  const shippingAddress = addressChanged ? address : order.shippingAddress
  return ok({
    kind: 'edited',
    itemsChanged,
    order: { ...order, items, ...totals(items), shippingAddress, updatedAt: now },
  })
}

/** A status change along the table, by the first of `actors` allowed to make it. */
export function changeStatus(
  order: Order,
  to: OrderStatus,
  actors: readonly Actor[],
  now: Date,
): Result<{ order: Order; actor: Actor }, OrderError> {
  const actor = permittedActor(order.status, to, actors)
  if (!actor) return err({ type: 'TransitionNotAllowed', from: order.status, to })
  return ok({ order: { ...order, status: to, updatedAt: now }, actor })
}

/** The owner deletes in the statuses that allow it (OWNER_DELETABLE); an admin always. */
export function deletable(order: Order, caller: Caller): Result<Actor, OrderError> {
  if (caller.role === 'ADMIN') return ok('admin')
  if (isOwner(order, caller) && OWNER_DELETABLE.includes(order.status)) return ok('owner')
  return err({ type: 'NotDeletable', status: order.status })
}
