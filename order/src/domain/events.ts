import type { DomainEvent } from '@shop/kernel/events'
import type { Order, StockLine } from './order.ts'

// The order service's events, one builder each: the one place its lines take the wire's shape.
const wireLines = (items: readonly StockLine[]) => items.map((l) => ({ product_id: l.productId, quantity: l.quantity }))

/** Asks the catalog to reserve these lines for the order (all or none). */
export const orderPlaced = (order: Order, items: readonly StockLine[]): DomainEvent => ({
  type: 'order.placed',
  data: { order_id: order.id, user_id: order.userId, items: wireLines(items) },
})

/** Gives reserved stock back to the catalog: only ever for lines it reserved. */
export const orderCancelled = (orderId: number, items: readonly StockLine[]): DomainEvent => ({
  type: 'order.cancelled',
  data: { order_id: orderId, items: wireLines(items) },
})
