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
  const on =
    <A extends unknown[], R>(useCase: (deps: OrderDeps, ...args: A) => R) =>
    (...args: A): R =>
      useCase(deps, ...args)
  return {
    commands: {
      placeOrder: on(placeOrder),
      updateOrder: on(updateOrder),
      deleteOrder: on(deleteOrder),
    },
    queries: {
      getOrder: on(getOrder),
      listOrders: on(listOrders),
      orderHistory: on(orderHistory),
    },
    events: {
      applyProductEvent: on(applyProductEvent),
      onStockReserved: on(onStockReserved),
      onStockRejected: on(onStockRejected),
      onUserDeleted: on(onUserDeleted),
    },
  }
}

export type OrderApplication = ReturnType<typeof orderApplication>
