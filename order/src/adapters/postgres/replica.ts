import type { Q } from '@shop/platform/postgres/connect'
import type { ReplicaProduct } from '../../domain/product.ts'
import type { Products } from '../../ports.ts'

interface ProductRow {
  id: number
  name: string | null
  price: string | null
  stock: number | null
  category_id: number | null
  version: number
  deleted: boolean
}

const toProduct = (r: ProductRow): ReplicaProduct =>
  r.deleted
    ? { id: r.id, deleted: true, version: r.version }
    : {
        id: r.id,
        deleted: false,
        name: r.name!,
        price: r.price!,
        stock: r.stock!,
        categoryId: r.category_id!,
        version: r.version,
      }

export function postgresProducts(sql: Q): Products {
  return {
    async byIds(ids) {
      if (!ids.length) return new Map()
      const rows = await sql<ProductRow[]>`select * from products where id in ${sql(ids as number[])}`
      return new Map(rows.map((r) => [r.id, toProduct(r)]))
    },
    async apply(p) {
      const row = p.deleted
        ? { id: p.id, name: null, price: null, stock: null, category_id: null, version: p.version, deleted: true }
        : {
            id: p.id,
            name: p.name,
            price: p.price,
            stock: p.stock,
            category_id: p.categoryId,
            version: p.version,
            deleted: false,
          }
      // The rule of domain/product.ts `supersedes`, in one statement so two concurrent events for
      // one product cannot both pass it: newer versions only, and a tombstone is final.
      const rows = await sql`
        insert into products as p (id, name, price, stock, category_id, version, deleted)
        values (${row.id}, ${row.name}, ${row.price}, ${row.stock}, ${row.category_id}, ${row.version}, ${row.deleted})
        on conflict (id) do update set
          name = excluded.name, price = excluded.price, stock = excluded.stock,
          category_id = excluded.category_id, version = excluded.version, deleted = excluded.deleted
        where not p.deleted and p.version < excluded.version
        returning id`
      return rows.length === 1
    },
  }
}
