/**
 * @shop/client: a typed client for the three shop services. `createShop` (shop.ts) is the resource API
 * (`shop.auth.login()`, `shop.catalog.products.list()`, `shop.orders.place()`, `shop.orders.waitUntilSettled(id)`);
 * a failure is thrown as a `ShopProblem` (problem.ts); underneath, one openapi-fetch client per service (raw.ts)
 * typed by the services' OpenAPI documents, so every path, parameter, body and answer is checked by the compiler.
 */
export * from './raw.js'
export type { Problem, TokenProblemCode } from './problem.js'
export { ShopProblem, isShopProblem } from './problem.js'
export {
  createShop,
  type Shop,
  type Page,
  type Pages,
  type WaitOptions,
  type RegisterRequest,
  type LoginRequest,
  type UpdateMeRequest,
  type ProductQuery,
  type CategoryQuery,
  type CategoryTreeQuery,
  type NewCategory,
  type CategoryChanges,
  type NewProduct,
  type ProductChanges,
  type OrderQuery,
  type NewOrder,
  type OrderChanges,
} from './shop.js'
