/**
 * @shop/order for tools that embed the core: the use cases, the domain rules, and the in-memory
 * adapters. Importing this starts nothing and touches no database.
 */
export { makeOrderCore, type OrderCore, type OrderDeps, type Ctx, type EventMeta, type Idempotency, type OrderUpdate, type PlaceOrderInput, type ProductOutcome, type StockOutcome } from './order.ts'
export * from './domain/order.ts'
export * from './domain/status.ts'
export * from './domain/product.ts'
export * from './domain/reservation.ts'
export * from './domain/history.ts'
export * from './domain/events.ts'
export type { OrderError } from './domain/errors.ts'
export type * from './ports.ts'
export { memoryOrderStore } from './adapters/memory/store.ts'
export { orderSubscriptions } from './adapters/events/consumers.ts'
