import type { Sql } from '@shop/platform/postgres/connect'
import { postgresInbox } from '@shop/platform/postgres/inbox'
import { transact } from '@shop/platform/postgres/transact'
import type { CatalogStore } from '../../ports.ts'
import { postgresCategories, postgresCategoryReads } from './categories.ts'
import { postgresProductReads, postgresProducts } from './products.ts'
import { postgresReservations } from './reservations.ts'
import { toVersions } from './rows.ts'

/**
 * `genericPlans`: a pool whose sessions always use generic plans (Database.genericPlans), for the
 * subtree listing, a statement written to be planned once; by default the same pool.
 */
export function postgresCatalogStore(sql: Sql, opts: { onEvents?: () => void; genericPlans?: Sql } = {}): CatalogStore {
  return {
    categories: postgresCategoryReads(sql),
    products: postgresProductReads(sql, opts.genericPlans),
    versions: async () => {
      const [v] = await sql<
        { epoch: string; products: number; categories: number }[]
      >`select epoch, products, categories from catalog_version`
      if (!v) throw new Error('catalog_version has no row: the migrations did not run')
      return toVersions(v)
    },
    transact: (work) =>
      transact(
        sql,
        { source: 'catalog', ...(opts.onEvents ? { onEvents: opts.onEvents } : {}) },
        (tx, events) => ({
          categories: postgresCategories(tx),
          products: postgresProducts(tx),
          reservations: postgresReservations(tx),
          inbox: postgresInbox(tx),
          events,
        }),
        work,
      ),
  }
}
