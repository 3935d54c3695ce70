import { type Result, err, ok } from '@shop/shared-kernel/result'
import type { Money } from '@shop/shared-kernel/money'
import { type Category, type CategoryChanges, type CategoryRef, categoryRef, changeCategory } from './domain/category.ts'
import type { CatalogError } from './domain/errors.ts'
import { type CategoryNode, nest } from './domain/tree.ts'
import { type Product, type ProductChanges, type ProductFilter, changeProduct, productCreated, productDeleted, productUpdated } from './domain/product.ts'
import { type StockLine, answerFor, mergeLines, placedAgain, rejection } from './domain/stock.ts'
import type { CatalogStore, CatalogTx, CategoryScope, Clock, Page, Paged } from './ports.ts'

export interface CatalogDeps {
  readonly store: CatalogStore
  readonly clock: Clock
}

/** Who asks, for the events they cause (`correlation_id`). */
export interface Ctx {
  readonly correlationId?: string | null
}

/** The event being handled: its id for the inbox, its correlation id for the events it causes. */
export interface EventMeta {
  readonly eventId: string
  readonly correlationId: string | null
}

export interface NewCategoryInput {
  readonly name: string
  readonly description?: string | null
  readonly parentId?: number | null
}

export interface NewProductInput {
  readonly name: string
  readonly description?: string | null
  readonly price: Money
  readonly stock?: number
  readonly categoryId: number
}

export interface OrderStock {
  readonly orderId: number
  readonly items: readonly StockLine[]
}

/** What handling an order event did; `duplicate` means the event id was seen before. */
export type StockOutcome = 'reserved' | 'rejected' | 'released' | 'answered-again' | 'nothing-to-release' | 'duplicate'

const corr = (ctx: Ctx) => ctx.correlationId ?? null

export function makeCatalog(deps: CatalogDeps) {
  const { store, clock } = deps

  const api = {
    async createCategory(input: NewCategoryInput): Promise<Result<Category, CatalogError>> {
      return store.transact((tx) =>
        tx.categories.insert({ name: input.name, description: input.description ?? null, parentId: input.parentId ?? null, now: clock.now() }),
      )
    },

    /** The category and its ancestors (root first, itself excluded), read in one query. */
    async getCategory(id: number): Promise<Result<{ category: Category; path: CategoryRef[] }, CatalogError>> {
      const lineage = await store.categories.lineage(id)
      const category = lineage.at(-1)
      if (!category) return err({ type: 'CategoryNotFound', id })
      return ok({ category, path: lineage.slice(0, -1).map(categoryRef) })
    },

    listCategories(scope: CategoryScope, page: Page): Promise<Paged<Category>> {
      return store.categories.list(scope, page)
    },

    /** Pages over the top categories of the scope; each comes with its whole subtree nested. */
    async categoryTree(scope: CategoryScope, page: Page): Promise<Paged<CategoryNode>> {
      const { items, total } = await store.categories.forest(scope, page)
      return { items: nest(items), total }
    },

    async updateCategory(id: number, changes: CategoryChanges): Promise<Result<Category, CatalogError>> {
      return store.transact(async (tx) => {
        const current = await tx.categories.byId(id, true)
        if (!current) return err({ type: 'CategoryNotFound', id } as CatalogError)
        const next = changeCategory(current, changes, clock.now())
        if (next === current) return ok(current)
        return tx.categories.update(next)
      })
    },

    async deleteCategory(id: number): Promise<Result<null, CatalogError>> {
      return store.transact(async (tx) => {
        const removed = await tx.categories.remove(id)
        if (!removed.ok) return removed
        return removed.value ? ok(null) : err({ type: 'CategoryNotFound', id } as CatalogError)
      })
    },

    async createProduct(input: NewProductInput, ctx: Ctx = {}): Promise<Result<Product, CatalogError>> {
      return store.transact(async (tx) => {
        const inserted = await tx.products.insert({
          name: input.name,
          description: input.description ?? null,
          price: input.price,
          stock: input.stock ?? 0,
          categoryId: input.categoryId,
          now: clock.now(),
        })
        if (inserted.ok) await tx.events.add(productCreated(inserted.value), corr(ctx))
        return inserted
      })
    },

    async getProduct(id: number): Promise<Result<Product, CatalogError>> {
      const p = await store.products.byId(id)
      return p ? ok(p) : err({ type: 'ProductNotFound', id })
    },

    listProducts(filter: ProductFilter, page: Page): Promise<Paged<Product>> {
      return store.products.list(filter, page)
    },

    /** The products of a category (and, by default, of every category below it); unknown category: an error, not an empty page. */
    async productsInCategory(id: number, includeSubcategories: boolean, page: Page): Promise<Result<Paged<Product>, CatalogError>> {
      if (!(await store.categories.byId(id))) return err({ type: 'CategoryNotFound', id })
      return ok(await store.products.list({ categoryId: id, includeSubcategories }, page))
    },

    async updateProduct(id: number, changes: ProductChanges, ctx: Ctx = {}): Promise<Result<Product, CatalogError>> {
      return store.transact(async (tx) => {
        const current = await tx.products.byId(id, true)
        if (!current) return err({ type: 'ProductNotFound', id } as CatalogError)
        const next = changeProduct(current, changes, clock.now())
        if (next === current) return ok(current)
        const saved = await tx.products.update(next)
        if (saved.ok) await tx.events.add(productUpdated(saved.value), corr(ctx))
        return saved
      })
    },

    async deleteProduct(id: number, ctx: Ctx = {}): Promise<Result<null, CatalogError>> {
      return store.transact(async (tx) => {
        const p = await tx.products.byId(id, true)
        if (!p) return err({ type: 'ProductNotFound', id } as CatalogError)
        await tx.products.remove(id)
        await tx.events.add(productDeleted(p), corr(ctx))
        return ok(null)
      })
    },

    /**
     * order.placed: reserves every line, all or none, and answers stock.reserved or
     * stock.rejected. Once per event id (inbox) and once per order (a reservation row).
     */
    async reserveStock(order: OrderStock, meta: EventMeta): Promise<Result<StockOutcome, never>> {
      return store.transact(async (tx) => {
        if (!(await tx.inbox.claim(meta.eventId, 'order.placed'))) return ok('duplicate' as StockOutcome)
        const now = clock.now()
        const lines = mergeLines(order.items)
        // The row is written first: a second order.placed for this order waits on it (see domain/stock.ts).
        const opened = await tx.reservations.open({ orderId: order.orderId, status: 'reserved', lines, reason: null, productIds: [], createdAt: now, updatedAt: now })
        if (!opened) {
          const held = await tx.reservations.byOrder(order.orderId)
          if (held && placedAgain(held, lines) === 'early') {
            // Thrown, not returned: the transaction (inbox claim included) rolls back and the bus redelivers.
            throw new Error(`order ${order.orderId} placed again before its previous reservation was released; retry later`)
          }
          return ok(await answerAgain(tx, order.orderId, meta))
        }
        const taken = await tx.products.take(lines, now)
        if (!taken.ok) {
          const why = rejection(taken.error)
          await tx.reservations.reject(order.orderId, why, now)
          await tx.events.add({ type: 'stock.rejected', data: { order_id: order.orderId, reason: why.reason, product_ids: why.productIds } }, meta.correlationId)
          return ok('rejected' as StockOutcome)
        }
        // Issued together (pipelined, one round trip); the outbox keeps them in this order.
        await Promise.all([
          ...taken.value.map((p) => tx.events.add(productUpdated(p), meta.correlationId)),
          tx.events.add({ type: 'stock.reserved', data: { order_id: order.orderId } }, meta.correlationId),
        ])
        return ok('reserved' as StockOutcome)
      })
    },

    /**
     * order.cancelled: puts back what the order's reservation took, exactly once per order,
     * whatever number of events arrive. The recorded lines are the truth of what was taken, so
     * the event's own items are not used.
     */
    async releaseStock(order: OrderStock, meta: EventMeta): Promise<Result<StockOutcome, never>> {
      return store.transact(async (tx) => {
        if (!(await tx.inbox.claim(meta.eventId, 'order.cancelled'))) return ok('duplicate' as StockOutcome)
        const now = clock.now()
        const released = await tx.reservations.release(order.orderId, now)
        if (!released) return ok('nothing-to-release' as StockOutcome)
        for (const p of await tx.products.restock(released.lines, now)) await tx.events.add(productUpdated(p), meta.correlationId)
        return ok('released' as StockOutcome)
      })
    },
  }

  async function answerAgain(tx: CatalogTx, orderId: number, meta: EventMeta): Promise<StockOutcome> {
    const existing = await tx.reservations.byOrder(orderId)
    const answer = existing && answerFor(existing)
    if (answer) await tx.events.add(answer, meta.correlationId)
    return 'answered-again'
  }

  return api
}

export type Catalog = ReturnType<typeof makeCatalog>
