import { fieldNames, pick } from '@shop/kernel/fields'
import type { Money } from '@shop/kernel/money'

/**
 * What the replica keeps of a live product besides its id and version, as product.* events name it
 * (camelCase), declared once with REPLICA_FIELDS: a new field kept is one line in each.
 */
export interface ReplicaFields {
  readonly name: string
  readonly price: Money
  /** As last announced; informative only: the catalog alone decides on stock. */
  readonly stock: number
  readonly categoryId: number
  readonly sku: string | null
}

export const REPLICA_FIELDS = fieldNames<ReplicaFields>()('name', 'price', 'stock', 'categoryId', 'sku')

/**
 * The order service's replica of a catalog product, built from product.* events only (the
 * catalog is never called over HTTP). A deleted product stays as a tombstone.
 */
export type ReplicaProduct =
  | ({ readonly id: number; readonly deleted: false; readonly version: number } & ReplicaFields)
  | { readonly id: number; readonly deleted: true; readonly version: number }

/**
 * What an order line keeps of its product, copied from the replica when the line is first written:
 * later catalog changes do not alter a line the customer agreed to. The price is kept as
 * `unitPrice`; every other field under the replica's name, listed once in SNAPSHOT_COPIED.
 */
export interface LineSnapshot {
  readonly name: string
  readonly unitPrice: Money
  readonly sku: string | null
}

const SNAPSHOT_COPIED = fieldNames<Omit<LineSnapshot, 'unitPrice'>>()('name', 'sku')

export const snapshotOf = (p: Extract<ReplicaProduct, { deleted: false }>): LineSnapshot => ({
  ...pick(p, SNAPSHOT_COPIED),
  unitPrice: p.price,
})

/**
 * Whether `incoming` replaces what the replica holds: only a newer version does, so duplicates and
 * out-of-order deliveries change nothing (an `updated` before its `created` wins, and the late
 * `created` is dropped). A tombstone is final: product ids are never reused, so nothing that
 * arrives after a deletion can bring the product back.
 */
export function supersedes(held: ReplicaProduct | undefined, incoming: ReplicaProduct): boolean {
  if (!held) return true
  if (held.deleted) return false
  return incoming.version > held.version
}
