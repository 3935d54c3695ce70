import type { DomainEvent, OrderLineData } from '@shop/kernel/event-types'
import type { Order } from './order.ts'

/** Asks the catalog to reserve these lines for the order (all or none). */
export const orderPlaced = (order: Order, items: readonly OrderLineData[]): DomainEvent => ({
  type: 'order.placed',
  data: { order_id: order.id, user_id: order.userId, items: [...items] },
})

/** Gives reserved stock back to the catalog: only ever for lines it reserved. */
export const orderCancelled = (orderId: number, items: readonly OrderLineData[]): DomainEvent => ({
  type: 'order.cancelled',
  data: { order_id: orderId, items: [...items] },
})
