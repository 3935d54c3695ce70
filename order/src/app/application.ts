import { bindAll } from '@shop/kernel/app'
import type { OrderDeps } from '../ports.ts'
import { deleteOrder } from './delete-order.ts'
import { applyProductEvent } from './apply-product-event.ts'
import { onStockRejected, onStockReserved } from './on-stock-answer.ts'
import { onUserDeleted } from './on-user-deleted.ts'
import { placeOrder } from './place-order.ts'
import { getOrder, listOrders, orderHistory } from './order-queries.ts'
import { updateOrder } from './update-order.ts'
import { retryStalled } from './retry-stalled.ts'

/**
 * The order application: every use case of the service by name, bound to its store and clock.
 * Commands change orders, queries read them (both reached over HTTP); events are what the service
 * consumes (reached through the bus); jobs run on a timer.
 */
export function orderApplication(deps: OrderDeps) {
  return {
    commands: bindAll(deps, { placeOrder, updateOrder, deleteOrder }),
    queries: bindAll(deps, { getOrder, listOrders, orderHistory }),
    events: bindAll(deps, { applyProductEvent, onStockReserved, onStockRejected, onUserDeleted }),
    /** Run on a timer (the composition root's): the saga's unanswered requests. */
    jobs: bindAll(deps, { retryStalled }),
  }
}

export type OrderApplication = ReturnType<typeof orderApplication>
