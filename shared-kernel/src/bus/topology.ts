import type { EventType } from '../event-types.ts'

/**
 * Every consumer queue of the shop (API.md Events). Each service declares all of them when it
 * connects, so an event published before its consumer ever started waits in its queue instead
 * of being dropped for lack of a binding.
 */
export interface QueueSpec {
  readonly service: 'auth' | 'catalog' | 'order'
  readonly name: string
  readonly topics: readonly EventType[]
}

const USER_EVENTS: readonly EventType[] = ['user.created', 'user.updated', 'user.deleted']
const PRODUCT_EVENTS: readonly EventType[] = ['product.created', 'product.updated', 'product.deleted']

export const TOPOLOGY: readonly QueueSpec[] = [
  { service: 'catalog', name: 'users', topics: USER_EVENTS },
  { service: 'catalog', name: 'orders', topics: ['order.placed', 'order.cancelled'] },
  { service: 'order', name: 'users', topics: USER_EVENTS },
  { service: 'order', name: 'products', topics: PRODUCT_EVENTS },
  { service: 'order', name: 'stock', topics: ['stock.reserved', 'stock.rejected'] },
]

export const EXCHANGE = 'shop.events'
export const DEAD_LETTER_EXCHANGE = 'shop.events.dlx'

export const queueName = (prefix: string, q: { service: string; name: string }) => `${prefix}${q.service}.${q.name}`
