/**
 * @shop/order for tools that embed the order application: its use cases, the domain rules, and
 * the in-memory adapters. Importing this starts nothing and touches no database.
 */
export { orderApplication, type OrderApplication } from './app/application.ts'
export type { OrderDeps } from './ports.ts'
export type { Idempotency, PlaceOrderInput, Placed } from './app/place-order.ts'
export type { ProductEventType, ProductOutcome } from './app/apply-product-event.ts'
export type { StockOutcome, StockRejected, StockReserved } from './app/on-stock-answer.ts'
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
