import { bindTo } from '@shop/shared-kernel/app'
import type { OrderDeps } from './deps.ts'
import { deleteOrder } from './delete-order.ts'
import { applyProductEvent } from './on-product-event.ts'
import { onStockRejected, onStockReserved } from './on-stock-answer.ts'
import { onUserDeleted } from './on-user-deleted.ts'
import { placeOrder } from './place-order.ts'
import { getOrder, listOrders, orderHistory } from './queries.ts'
import { updateOrder } from './update-order.ts'

/**
 * The order application: every use case of the service by name, bound to its store and clock.
 * Commands change orders, queries read them (both reached over HTTP); events are what the service
 * consumes (reached through the bus).
 */
export function orderApplication(deps: OrderDeps) {
  const bind = bindTo(deps)
  return {
    commands: {
      placeOrder: bind(placeOrder),
      updateOrder: bind(updateOrder),
      deleteOrder: bind(deleteOrder),
    },
    queries: {
      getOrder: bind(getOrder),
      listOrders: bind(listOrders),
      orderHistory: bind(orderHistory),
    },
    events: {
      applyProductEvent: bind(applyProductEvent),
      onStockReserved: bind(onStockReserved),
      onStockRejected: bind(onStockRejected),
      onUserDeleted: bind(onUserDeleted),
    },
  }
}

export type OrderApplication = ReturnType<typeof orderApplication>
