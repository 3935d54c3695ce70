import type { Q } from '@shop/platform/postgres/connect'
import type { Products } from '../../ports.ts'
import { type ReplicaRow, replicaColumns, replicaRow, toReplicaProduct } from './rows.ts'

export function postgresProducts(sql: Q): Products {
  return {
    async byIds(ids) {
      if (!ids.length) return new Map()
      const rows = await sql<ReplicaRow[]>`
        select ${replicaColumns.of(sql)} from products where id in ${sql(ids as number[])}`
      return new Map(rows.map((r) => [r.id, toReplicaProduct(r)]))
    },
    async apply(p) {
      const { id: _id, ...changed } = replicaRow(p)
      // The rule of domain/product.ts `supersedes`, in one statement so two concurrent events for
      // one product cannot both pass it: newer versions only, and a tombstone is final.
      const rows = await sql`
        insert into products ${sql(replicaRow(p))}
        on conflict (id) do update set ${sql(changed)}
        where not products.deleted and products.version < excluded.version
        returning id`
      return rows.length === 1
    },
  }
}
