import type { Envelope } from '@shop/kernel/events'
import { MemoryInbox, MemoryTransactor, Sequence, type Snapshotting, Table } from '@shop/platform/memory/transactor'
import type { Category } from '../../domain/category.ts'
import type { Reservation } from '../../domain/stock.ts'
import type { CatalogStore, CatalogTx, CatalogVersions } from '../../ports.ts'
import { MemoryCategories } from './categories.ts'
import { MemoryProducts, type ProductRow } from './products.ts'
import { MemoryReservations } from './reservations.ts'

/** The catalog store in memory: for unit and HTTP tests, and for tools that embed the core. */
export function memoryCatalogStore(
  opts: { onEvents?: (events: Envelope[]) => void } = {},
): CatalogStore & { readonly published: Envelope[] } {
  const categoryRows = new Table<number, Category>()
  const productRows = new Table<number, ProductRow>()
  const reservationRows = new Table<number, Reservation>()
  const categoryIds = new Sequence()
  const productIds = new Sequence()
  const inbox = new MemoryInbox()
  const versions = new Versions()
  const published: Envelope[] = []
  const transactor = new MemoryTransactor(
    [categoryRows, productRows, reservationRows, inbox.seen, categoryIds, productIds, versions],
    (events) => {
      published.push(...events)
      opts.onEvents?.(events)
    },
    'catalog',
  )
  const products = new MemoryProducts(
    productRows,
    productIds,
    categoryRows,
    () => versions.bump('products'),
    () => versions.value,
  )
  const categories = new MemoryCategories(
    categoryRows,
    categoryIds,
    (id) => products.hasProductsIn(id),
    () => versions.bump('categories'),
  )
  const reservations = new MemoryReservations(reservationRows)
  return {
    categories,
    products,
    published,
    versions: async () => versions.value,
    transact: (work) =>
      transactor.run((events): CatalogTx => ({ categories, products, reservations, inbox, events }), work),
  }
}

/** The change counters: bumped by every write, rolled back with its transaction. */
class Versions implements Snapshotting {
  value: CatalogVersions = { epoch: crypto.randomUUID().replaceAll('-', '').slice(0, 12), products: 0, categories: 0 }
  bump(what: 'products' | 'categories') {
    this.value = { ...this.value, [what]: this.value[what] + 1 }
  }
  snapshot(): unknown {
    return this.value
  }
  restore(saved: unknown): void {
    this.value = saved as CatalogVersions
  }
}
