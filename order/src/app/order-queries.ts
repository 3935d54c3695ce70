import type { Page, Paged } from '@shop/kernel/app'
import { type Result, ok } from '@shop/kernel/result'
import type { OrderError } from '../domain/errors.ts'
import type { StatusChange } from '../domain/history.ts'
import { type Caller, type Order, visibleOrder } from '../domain/order.ts'
import type { OrderDeps, OrderFilter } from '../ports.ts'

export async function getOrder({ store }: OrderDeps, caller: Caller, id: number): Promise<Result<Order, OrderError>> {
  return visibleOrder(await store.orders.byId(id), caller, id)
}

/** The status changes of an order the caller may see, oldest first. */
export async function orderHistory(
  { store }: OrderDeps,
  caller: Caller,
  id: number,
): Promise<Result<StatusChange[], OrderError>> {
  const found = visibleOrder(await store.orders.byId(id), caller, id)
  return found.ok ? ok(await store.history.of(id)) : found
}

/** A user sees their own orders (a user_id filter only narrows that); an admin sees all. */
export async function listOrders(
  { store }: OrderDeps,
  caller: Caller,
  filter: OrderFilter,
  page: Page,
): Promise<Paged<Order>> {
  if (caller.role === 'ADMIN') return store.orders.list(filter, page)
  if (filter.userId !== undefined && filter.userId !== caller.id) return { items: [], total: 0 }
  return store.orders.list({ ...filter, userId: caller.id }, page)
}
