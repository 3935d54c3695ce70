/**
 * The resource API of @shop/client: `shop.auth.login()`, `shop.catalog.products.list()`, `shop.orders.place()`,
 * `shop.orders.waitUntilSettled(id)`... over the typed openapi-fetch clients of the three services. Every answer is
 * the type the services' OpenAPI documents declare; every failure is thrown as a `ShopProblem`.
 */
import type { operations as AuthOperations } from './generated/auth.js'
import type { operations as CatalogOperations } from './generated/catalog.js'
import type { operations as OrderOperations } from './generated/order.js'
import {
  type Category,
  type CategoryNode,
  type Order,
  type Product,
  type ShopClient,
  type ShopClientOptions,
  type ShopUrls,
  type StatusChange,
  type Token,
  type User,
  createShopClient,
  pageInfo,
} from './raw.js'
import { ShopProblem } from './problem.js'

type Query<O> = O extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never
type Body<O> = O extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never

export type RegisterRequest = Body<AuthOperations['register']>
export type LoginRequest = Body<AuthOperations['login']>
export type UpdateMeRequest = Body<AuthOperations['updateMe']>
export type ProductQuery = Query<CatalogOperations['listProducts']>
export type CategoryQuery = Query<CatalogOperations['listCategories']>
export type CategoryTreeQuery = Query<CatalogOperations['listCategoryTree']>
export type NewCategory = Body<CatalogOperations['createCategory']>
export type CategoryChanges = Body<CatalogOperations['updateCategory']>
export type NewProduct = Body<CatalogOperations['createProduct']>
export type ProductChanges = Body<CatalogOperations['updateProduct']>
export type OrderQuery = Query<OrderOperations['listOrders']>
export type NewOrder = Body<OrderOperations['placeOrder']>
export type OrderChanges = Body<OrderOperations['updateOrder']>

/** One page of a list: its items, and how many the query matches in all (`X-Total-Count`). */
export interface Page<T> {
  readonly items: readonly T[]
  readonly total: number
}

/**
 * A list, fetched a page at a time as it is iterated: `for await (const page of list)` follows the `Link` header's
 * `rel="next"` until there is none; `items()` yields the items of every page; `first()` is the first page alone.
 */
export interface Pages<T> extends AsyncIterable<Page<T>> {
  items(): AsyncIterable<T>
  first(): Promise<Page<T>>
}

type Answer<T> = { data?: T; error?: unknown; response: Response }

/** The body of a 2xx answer; anything else thrown as the problem the service answered. */
async function ok<T>(call: Promise<Answer<T>>): Promise<T> {
  const r = await call
  if (!r.response.ok) throw ShopProblem.from(r.response, r.error)
  return r.data as T
}

/** The same for an answer without a body (204). */
async function done(call: Promise<Answer<unknown>>): Promise<void> {
  const r = await call
  if (!r.response.ok) throw ShopProblem.from(r.response, r.error)
}

/** Pages of `fetchPage(offset)`, following `Link: <...>; rel="next"` from `start`. */
function pages<T>(
  start: number | undefined,
  fetchPage: (offset: number | undefined) => Promise<Answer<T[]>>,
): Pages<T> {
  const first = async (offset: number | undefined) => {
    const r = await fetchPage(offset)
    if (!r.response.ok) throw ShopProblem.from(r.response, r.error)
    const info = pageInfo(r.response)
    return { page: { items: r.data ?? [], total: info.total }, next: info.next?.offset }
  }
  const iterate = async function* (): AsyncGenerator<Page<T>> {
    let offset = start
    for (;;) {
      const { page, next } = await first(offset)
      yield page
      if (next === undefined || page.items.length === 0) return
      offset = next
    }
  }
  return {
    [Symbol.asyncIterator]: iterate,
    async *items() {
      for await (const page of iterate()) yield* page.items
    },
    first: async () => (await first(start)).page,
  }
}

export interface WaitOptions {
  /** Give up after this long (default 15 s): the order is still pending. */
  readonly timeoutMs?: number
  /** Between two reads of the order (default 100 ms). */
  readonly intervalMs?: number
}

export interface Shop {
  readonly auth: {
    register(body: RegisterRequest): Promise<User>
    /** Logs in; every later call of this shop carries the token. */
    login(credentials: LoginRequest): Promise<Token>
    /** Forgets the token (the services are not told: see `logoutEverywhere`). */
    logout(): void
    /** Revokes every token of the signed-in user (logout-all), then forgets this one. */
    logoutEverywhere(): Promise<void>
    me(): Promise<User>
    updateMe(changes: UpdateMeRequest): Promise<User>
  }
  readonly catalog: {
    readonly categories: {
      list(query?: CategoryQuery): Pages<Category>
      /** Top categories with their nested `children`, typed as nodes (`GET /api/v1/categories/tree`). */
      tree(query?: CategoryTreeQuery): Pages<CategoryNode>
      get(id: number): Promise<Category & { readonly path: readonly { id: number; name: string; level: number }[] }>
      create(body: NewCategory): Promise<Category>
      update(id: number, changes: CategoryChanges): Promise<Category>
      remove(id: number): Promise<void>
    }
    readonly products: {
      list(query?: ProductQuery): Pages<Product>
      inCategory(id: number, query?: Query<CatalogOperations['listProductsInCategory']>): Pages<Product>
      get(id: number): Promise<Product>
      create(body: NewProduct): Promise<Product>
      update(id: number, changes: ProductChanges): Promise<Product>
      remove(id: number): Promise<void>
    }
  }
  readonly orders: {
    /** Places an order (201, `pending`); with `idempotencyKey`, a repeat answers the first order. */
    place(order: NewOrder, o?: { idempotencyKey?: string }): Promise<Order>
    get(id: number): Promise<Order>
    list(query?: OrderQuery): Pages<Order>
    update(id: number, changes: OrderChanges): Promise<Order>
    cancel(id: number): Promise<Order>
    remove(id: number): Promise<void>
    history(id: number): Promise<readonly StatusChange[]>
    /**
     * Reads the order until the catalog has answered its reservation (any status but `pending`: `confirmed`, or
     * `rejected`), at most `timeoutMs`; throws when it is still pending then.
     */
    waitUntilSettled(id: number, o?: WaitOptions): Promise<Order>
  }
  /** The typed openapi-fetch clients underneath, for what the resource API does not cover. */
  readonly raw: ShopClient
}

/** The resource API over the three services at `urls`. */
export function createShop(urls: ShopUrls, o: ShopClientOptions = {}): Shop {
  const raw = createShopClient(urls, o)
  const { auth, catalog, order } = raw
  const id = (value: number) => ({ params: { path: { id: value } } })
  const orders: Shop['orders'] = {
    place: (body, p = {}) =>
      ok(
        order.POST('/api/v1/order', {
          body,
          params: p.idempotencyKey ? { header: { 'Idempotency-Key': p.idempotencyKey } } : {},
        }),
      ),
    get: (orderId) => ok(order.GET('/api/v1/order/{id}', id(orderId))),
    list: (query = {}) =>
      pages(query.offset, (offset) => order.GET('/api/v1/orders', { params: { query: { ...query, offset } } })),
    update: (orderId, changes) => ok(order.PUT('/api/v1/update_order/{id}', { ...id(orderId), body: changes })),
    cancel: (orderId) => orders.update(orderId, { status: 'cancelled' }),
    remove: (orderId) => done(order.DELETE('/api/v1/delete_order/{id}', id(orderId))),
    history: (orderId) => ok(order.GET('/api/v1/order/{id}/history', id(orderId))),
    async waitUntilSettled(orderId, w = {}) {
      const deadline = Date.now() + (w.timeoutMs ?? 15_000)
      for (;;) {
        const current = await orders.get(orderId)
        if (current.status !== 'pending') return current
        if (Date.now() >= deadline)
          throw new Error(`order ${orderId} is still pending after ${w.timeoutMs ?? 15_000} ms`)
        await new Promise((resolve) => setTimeout(resolve, w.intervalMs ?? 100))
      }
    },
  }
  return {
    raw,
    auth: {
      register: (body) => ok(auth.POST('/api/v1/auth/register', { body })),
      async login(credentials) {
        const token = await ok(auth.POST('/api/v1/auth/login', { body: credentials }))
        raw.signIn(token.access_token)
        return token
      },
      logout: () => raw.signIn(undefined),
      async logoutEverywhere() {
        await done(auth.POST('/api/v1/auth/logout-all'))
        raw.signIn(undefined)
      },
      me: () => ok(auth.GET('/api/v1/users/me')),
      updateMe: (changes) => ok(auth.PUT('/api/v1/users/me', { body: changes })),
    },
    catalog: {
      categories: {
        list: (query = {}) =>
          pages<Category>(query.offset, (offset) =>
            catalog.GET('/api/v1/categories', { params: { query: { ...query, tree: false, offset } } }),
          ),
        tree: (query = {}) =>
          pages(query.offset, (offset) =>
            catalog.GET('/api/v1/categories/tree', { params: { query: { ...query, offset } } }),
          ),
        get: (categoryId) => ok(catalog.GET('/api/v1/categories/{id}', id(categoryId))),
        create: (body) => ok(catalog.POST('/api/v1/category', { body })),
        update: (categoryId, changes) => ok(catalog.PUT('/api/v1/category/{id}', { ...id(categoryId), body: changes })),
        remove: (categoryId) => done(catalog.DELETE('/api/v1/category/{id}', id(categoryId))),
      },
      products: {
        list: (query = {}) =>
          pages(query.offset, (offset) => catalog.GET('/api/v1/products', { params: { query: { ...query, offset } } })),
        inCategory: (categoryId, query = {}) =>
          pages(query.offset, (offset) =>
            catalog.GET('/api/v1/products_with_category/{id}', {
              params: { path: { id: categoryId }, query: { ...query, offset } },
            }),
          ),
        get: (productId) => ok(catalog.GET('/api/v1/product/{id}', id(productId))),
        create: (body) => ok(catalog.POST('/api/v1/product', { body })),
        update: (productId, changes) => ok(catalog.PUT('/api/v1/product/{id}', { ...id(productId), body: changes })),
        remove: (productId) => done(catalog.DELETE('/api/v1/product/{id}', id(productId))),
      },
    },
    orders,
  }
}
