import type { Result } from '@shop/kernel/result'
import type { Clock, Events, Page, Paged } from '@shop/kernel/app'
import type { Inbox } from '@shop/kernel/inbox'
import type { Category, NewCategory } from './domain/category.ts'
import type { ErrorOf, ProductWriteError } from './domain/errors.ts'
import type { NewProduct, Product, ProductFilter } from './domain/product.ts'
import type { Reservation, Shortage, StockLine } from './domain/stock.ts'

/**
 * Where a category listing starts: the whole tree, or strictly below one category. Every
 * hierarchy read is one query whatever the depth (recursive CTEs on postgres).
 */
export interface CategoryScope {
  readonly under?: number
}

export interface CategoryReads {
  byId(id: number): Promise<Category | undefined>
  /** The category and its ancestors, root first, the category itself last; empty when unknown. */
  lineage(id: number): Promise<Category[]>
  /**
   * Depth-first (each parent before its children, siblings by name); `total` counts the whole
   * scope. A page costs its limit, whatever its offset or the depth of the tree (postgres: a range
   * of ranks, walked again after a change of the tree).
   */
  list(scope: CategoryScope, page: Page): Promise<Paged<Category>>
  /**
   * A page of the scope's top categories (the roots, or the children of `under`), each followed
   * depth-first by its subtree down to `depth` levels (the top categories are the first level);
   * `total` counts the top categories.
   */
  forest(scope: CategoryScope, page: Page, depth: number): Promise<Paged<Category>>
}

/** Category writes: inside a transaction only (they serialize with each other there). */
export interface Categories extends CategoryReads {
  /**
   * `lock`: read for a change in this transaction. The change (`update`) is then written only if
   * the category is still as read; otherwise the transaction fails and is run again (postgres)
   * — or, serial as it is, the memory store never sees it change.
   */
  byId(id: number, lock?: boolean): Promise<Category | undefined>
  insert(c: NewCategory): Promise<Result<Category, ErrorOf<'ParentNotFound' | 'CategoryNameTaken'>>>
  /**
   * Writes name and description; when `parentId` differs from the stored one, also moves the
   * whole subtree there (levels recomputed for all of it), refusing a move into its own subtree.
   * The level of `c` is ignored: the store derives levels.
   */
  update(
    c: Category,
  ): Promise<Result<Category, ErrorOf<'ParentNotFound' | 'CategoryNameTaken' | 'CategoryCycle' | 'CategoryNotFound'>>>
  /** false when there was no such category. */
  remove(id: number): Promise<Result<boolean, ErrorOf<'CategoryHasChildren' | 'CategoryHasProducts'>>>
}

export interface ProductReads {
  byId(id: number): Promise<Product | undefined>
  /**
   * Sorted by `filter.sort` (default id), ties broken by id; unknown categories match nothing.
   * With the change counters of the state the page was read in (`asOf`).
   */
  list(filter: ProductFilter, page: Page): Promise<Listed<Product>>
}

/**
 * A page read with the change counters of the very state it was read in (the same statement, so
 * the same snapshot): its entity tag needs no read of its own, and is never ahead of the page.
 */
export type Listed<T> = Paged<T> & { readonly asOf: CatalogVersions }

export interface Products extends ProductReads {
  byId(id: number, lock?: boolean): Promise<Product | undefined>
  insert(p: NewProduct): Promise<Result<Product, ProductWriteError>>
  /** Writes every field of `p` over the row with its id (the category ref is read back). */
  update(p: Product): Promise<Result<Product, ProductWriteError>>
  remove(id: number): Promise<boolean>
  /**
   * Takes `lines` (one per product) from stock, all or none, never below zero whatever runs
   * concurrently. Each changed product gets a new version; they are returned for the events.
   */
  take(lines: readonly StockLine[], now: Date): Promise<Result<Product[], Shortage>>
  /** Puts units back; products deleted meanwhile are skipped. Returns the changed products. */
  restock(lines: readonly StockLine[], now: Date): Promise<Product[]>
}

export interface Reservations {
  /**
   * Opens a round of the order's reservation: true when the order had none, or its last round
   * ended (rejected or released); false, writing nothing, while its stock is reserved.
   */
  open(r: Reservation): Promise<boolean>
  byOrder(orderId: number): Promise<Reservation | undefined>
  /** Marks an open reservation rejected. */
  reject(orderId: number, why: { reason: string; productIds: readonly number[] }, now: Date): Promise<void>
  /** reserved → released, at most once per order: the reservation when this call released it. */
  release(orderId: number, now: Date): Promise<Reservation | undefined>
}

export interface CatalogTx {
  readonly categories: Categories
  readonly products: Products
  readonly reservations: Reservations
  readonly inbox: Inbox
  readonly events: Events
}

/**
 * Change counters: each increases once with every committed transaction that changed products
 * (stock included) or categories. While both are equal, every listing reads the same as before,
 * so a conditional read can answer 304 without running its query. `epoch` names the store they
 * count in (drawn when it was created): counters of a store created afresh start again at 0.
 */
export interface CatalogVersions {
  readonly epoch: string
  readonly products: number
  readonly categories: number
}

export interface CatalogStore {
  /** Reads outside any transaction. */
  readonly categories: CategoryReads
  readonly products: ProductReads
  /**
   * The change counters as of now: a committed state, never ahead of what a read started after
   * this call returns (a change and its counter commit together).
   */
  versions(): Promise<CatalogVersions>
  /** Runs `work` in one transaction: commits when it returns ok, rolls back when it returns an error or throws. */
  transact<T, E>(work: (tx: CatalogTx) => Promise<Result<T, E>>): Promise<Result<T, E>>
}

/** What every catalog use case is given: the store and the clock. */
export interface CatalogDeps {
  readonly store: CatalogStore
  readonly clock: Clock
}
