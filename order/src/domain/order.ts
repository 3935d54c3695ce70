import type { OrderLineData, Role } from '@shop/shared-kernel/event-types'
import { type Money, sum, times } from '@shop/shared-kernel/money'
import { type Result, err, ok } from '@shop/shared-kernel/result'
import type { OrderError } from './errors.ts'
import type { ReplicaProduct } from './product.ts'
import { type Actor, type OrderStatus, OWNER_DELETABLE, permittedActor } from './status.ts'

export const MIN_QUANTITY = 1
export const MAX_QUANTITY = 1000
export const MAX_LINES = 100
export const SHIPPING_ADDRESS_MAX = 1000

export interface OrderLine {
  readonly productId: number
  /** Snapshot of the product's name when the line was written. */
  readonly name: string
  /** Snapshot of the product's price when the line was written. */
  readonly unitPrice: Money
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
    if (quantity < MIN_QUANTITY || quantity > MAX_QUANTITY) return err({ type: 'QuantityOutOfRange', productId, quantity })
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
 * Prices merged lines from the replica. A product the order already had keeps the name and price
 * of its snapshot (a later catalog change does not alter a line the customer agreed to); only a
 * product new to the order is snapshotted now. Every product must be orderable (see unorderable).
 */
export function priceLines(lines: readonly LineRequest[], products: ReadonlyMap<number, ReplicaProduct>, previous: readonly OrderLine[] = []): OrderLine[] {
  const before = new Map(previous.map((l) => [l.productId, l]))
  return lines.map((l) => {
    const old = before.get(l.productId)
    const p = products.get(l.productId)
    const snapshot = old ?? (p && !p.deleted ? { name: p.name, unitPrice: p.price } : undefined)
    if (!snapshot) throw new Error(`product ${l.productId} is not orderable`)
    return { productId: l.productId, name: snapshot.name, unitPrice: snapshot.unitPrice, quantity: l.quantity, lineTotal: times(snapshot.unitPrice, l.quantity) }
  })
}

export function totals(lines: readonly OrderLine[]): { totalQuantity: number; total: Money } {
  return { totalQuantity: lines.reduce((n, l) => n + l.quantity, 0), total: sum(lines.map((l) => l.lineTotal)) }
}

export function newOrder(o: { userId: string; items: readonly OrderLine[]; shippingAddress: string | null; now: Date }): NewOrder {
  return { userId: o.userId, status: 'pending', items: o.items, ...totals(o.items), shippingAddress: o.shippingAddress, createdAt: o.now, updatedAt: o.now }
}

/** The lines as the catalog sees them: product and quantity. */
export const stockLines = (lines: readonly { productId: number; quantity: number }[]): OrderLineData[] =>
  lines.map((l) => ({ product_id: l.productId, quantity: l.quantity }))

/** Same products in the same quantities, whatever the order of the lines. */
export function sameStockLines(a: readonly OrderLineData[], b: readonly OrderLineData[]): boolean {
  if (a.length !== b.length) return false
  const qty = new Map(a.map((l) => [l.product_id, l.quantity]))
  return b.every((l) => qty.get(l.product_id) === l.quantity)
}

export const isOwner = (order: Order, caller: Caller): boolean => order.userId === caller.id

/** Someone else's order is invisible: the caller learns nothing about it (404, never 403). */
export const canView = (order: Order, caller: Caller): boolean => isOwner(order, caller) || caller.role === 'ADMIN'

/** The roles a caller plays toward an order, the owner's first (an admin cancelling their own order does it as owner). */
export function actorsOf(order: Order, caller: Caller): Actor[] {
  const actors: Actor[] = []
  if (isOwner(order, caller)) actors.push('owner')
  if (caller.role === 'ADMIN') actors.push('admin')
  return actors
}

/** Only the owner edits items and the shipping address, and only while the order is pending. */
export function editOrder(
  order: Order,
  edit: { items?: readonly OrderLine[]; shippingAddress?: string | null },
  now: Date,
): Result<Order, OrderError> {
  const items = edit.items ?? order.items
  const shippingAddress = edit.shippingAddress !== undefined ? edit.shippingAddress : order.shippingAddress
  const itemsChanged = edit.items !== undefined && !sameLines(order.items, edit.items)
  // A PUT that repeats what is already there changes nothing and is not an edit, whatever the status.
  if (!itemsChanged && shippingAddress === order.shippingAddress) return ok(order)
  if (order.status !== 'pending') return err({ type: 'NotEditable', status: order.status })
  return ok({ ...order, items, ...totals(items), shippingAddress, updatedAt: now })
}

/** Same lines, whatever their order: reordering alone is not an edit. */
function sameLines(a: readonly OrderLine[], b: readonly OrderLine[]): boolean {
  if (a.length !== b.length) return false
  const byProduct = new Map(a.map((l) => [l.productId, l]))
  return b.every((l) => {
    const o = byProduct.get(l.productId)
    return o !== undefined && o.quantity === l.quantity && o.unitPrice === l.unitPrice && o.name === l.name
  })
}

/** A status change along the table, by the first of `actors` allowed to make it. */
export function changeStatus(order: Order, to: OrderStatus, actors: readonly Actor[], now: Date): Result<{ order: Order; actor: Actor }, OrderError> {
  const actor = permittedActor(order.status, to, actors)
  if (!actor) return err({ type: 'TransitionNotAllowed', from: order.status, to })
  return ok({ order: { ...order, status: to, updatedAt: now }, actor })
}

/** The owner deletes while pending, cancelled or rejected; an admin always. */
export function deletable(order: Order, caller: Caller): Result<Actor, OrderError> {
  if (caller.role === 'ADMIN') return ok('admin')
  if (isOwner(order, caller) && OWNER_DELETABLE.includes(order.status)) return ok('owner')
  return err({ type: 'NotDeletable', status: order.status })
}
