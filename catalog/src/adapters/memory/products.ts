import { type Result, err, ok } from '@shop/kernel/result'
import { compare } from '@shop/kernel/money'
import type { Sequence, Table } from '@shop/platform/memory/transactor'
import { type Category, categoryRef } from '../../domain/category.ts'
import type { ProductWriteError } from '../../domain/errors.ts'
import { compareKeys, nameKey } from '../../domain/name-key.ts'
import {
  type NewProduct,
  type Product,
  type ProductFilter,
  type ProductSort,
  sharedUnique,
} from '../../domain/product.ts'
import { type Shortage, type StockLine, hasShortage, shortage } from '../../domain/stock.ts'
import { childrenIndex, subtreeIds } from '../../domain/tree.ts'
import type { Page } from '@shop/kernel/app'
import type { CatalogVersions, Products } from '../../ports.ts'

/** A product as stored: the category ref is read from the category table, as the SQL join does. */
export type ProductRow = Omit<Product, 'category'>

type Order = (a: ProductRow, b: ProductRow) => number
const byId: Order = (a, b) => a.id - b.id
const orders: Record<ProductSort, Order> = {
  id: byId,
  name: (a, b) => compareKeys(nameKey(a.name), nameKey(b.name)) || byId(a, b),
  '-name': (a, b) => compareKeys(nameKey(b.name), nameKey(a.name)) || byId(b, a),
  price: (a, b) => compare(a.price, b.price) || byId(a, b),
  '-price': (a, b) => compare(b.price, a.price) || byId(b, a),
  created_at: (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || byId(a, b),
  '-created_at': (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || byId(b, a),
}

export class MemoryProducts implements Products {
  constructor(
    private readonly rows: Table<number, ProductRow>,
    private readonly ids: Sequence,
    private readonly categories: Table<number, Category>,
    /** Called on every change (the change counter). */
    private readonly changed: () => void,
    /** The change counters as they stand (a listing's `asOf`). */
    private readonly versions: () => CatalogVersions,
  ) {}

  private full(row: ProductRow | undefined): Product | undefined {
    const c = row && this.categories.get(row.categoryId)
    return row && c ? { ...row, category: categoryRef(c) } : undefined
  }

  async byId(id: number) {
    return this.full(this.rows.get(id))
  }

  async list(f: ProductFilter, page: Page) {
    const categoryIds =
      f.categoryId === undefined
        ? undefined
        : f.includeSubcategories === false
          ? new Set([f.categoryId])
          : subtreeIds(childrenIndex(this.categories.values()), f.categoryId)
    const q = f.q?.toLowerCase()
    const all = [...this.rows.values()]
      .filter(
        (p) =>
          (!categoryIds || categoryIds.has(p.categoryId)) &&
          (f.minPrice === undefined || compare(p.price, f.minPrice) >= 0) &&
          (f.maxPrice === undefined || compare(p.price, f.maxPrice) <= 0) &&
          (f.inStock === undefined || f.inStock === p.stock > 0) &&
          (!q || p.name.toLowerCase().includes(q) || (p.description ?? '').toLowerCase().includes(q)),
      )
      .sort(orders[f.sort ?? 'id'])
    return {
      items: all.slice(page.offset, page.offset + page.limit).map((r) => this.full(r)!),
      total: all.length,
      asOf: this.versions(),
    }
  }

  /** What the database's constraints refuse: an unknown category, a unique field's value another product has. */
  private refused(p: NewProduct | Product, id?: number): ProductWriteError | undefined {
    if (!this.categories.has(p.categoryId)) return { type: 'UnknownCategory', categoryId: p.categoryId }
    for (const r of this.rows.values()) {
      const shared = r.id === id ? undefined : sharedUnique(p, r)
      if (shared) return { type: 'Taken', ...shared }
    }
    return undefined
  }

  async insert(p: NewProduct): Promise<Result<Product, ProductWriteError>> {
    const refused = this.refused(p)
    if (refused) return err(refused)
    const { now, ...fields } = p
    const row: ProductRow = { ...fields, id: this.ids.next(), createdAt: now, updatedAt: now, version: 1 }
    this.rows.set(row.id, row)
    this.changed()
    return ok(this.full(row)!)
  }

  async update(p: Product): Promise<Result<Product, ProductWriteError>> {
    const refused = this.refused(p, p.id)
    if (refused) return err(refused)
    const { category: _ref, ...row } = p
    this.rows.set(p.id, row)
    this.changed()
    return ok(this.full(row)!)
  }

  async remove(id: number) {
    const removed = this.rows.delete(id)
    if (removed) this.changed()
    return removed
  }

  private adjust(lines: readonly StockLine[], sign: 1 | -1, now: Date): Product[] {
    const changed: Product[] = []
    for (const l of lines) {
      const row = this.rows.get(l.productId)
      if (!row) continue
      const next = { ...row, stock: row.stock + sign * l.quantity, updatedAt: now, version: row.version + 1 }
      this.rows.set(row.id, next)
      changed.push(this.full(next)!)
    }
    if (changed.length) this.changed()
    return changed
  }

  async take(lines: readonly StockLine[], now: Date): Promise<Result<Product[], Shortage>> {
    // The memory transactor runs one transaction at a time: checking, then taking, is atomic here.
    const stock = new Map<number, number>()
    for (const l of lines) {
      const row = this.rows.get(l.productId)
      if (row) stock.set(row.id, row.stock)
    }
    const s = shortage(lines, stock)
    return hasShortage(s) ? err(s) : ok(this.adjust(lines, -1, now))
  }

  async restock(lines: readonly StockLine[], now: Date) {
    return this.adjust(lines, 1, now)
  }

  hasProductsIn(categoryId: number): boolean {
    for (const p of this.rows.values()) if (p.categoryId === categoryId) return true
    return false
  }
}
