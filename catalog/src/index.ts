/**
 * @shop/catalog for tools that embed the catalog: its application (the use cases), the domain rules, and the
 * in-memory adapters. Importing this starts nothing and touches no database.
 */
export { catalogApplication, type CatalogApplication } from './app/application.ts'
export type { StockOutcome } from './app/support/order-stock.ts'
export * from './domain/category.ts'
export * from './domain/product.ts'
export * from './domain/stock.ts'
export * from './domain/tree.ts'
export * from './domain/name-key.ts'
export type { CatalogError } from './domain/errors.ts'
export type * from './ports.ts'
export { memoryCatalogStore } from './adapters/memory/store.ts'
export { catalogSubscriptions } from './adapters/events/consumers.ts'
