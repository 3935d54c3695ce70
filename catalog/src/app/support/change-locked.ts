import { type Result, err, ok } from '@shop/kernel/result'
import type { CatalogError } from '../../domain/errors.ts'

/** The rows `changeLocked` works on: a table of the transaction (`tx.categories`, `tx.products`). */
interface Lockable<T> {
  byId(id: number, lock: boolean): Promise<T | undefined>
  update(row: T): Promise<Result<T, CatalogError>>
}

/**
 * Read-modify-write of one row, inside the caller's transaction: read locked (a missing row is `notFound`), changed,
 * and written only if the change changed something (`change` returns its input when not); `saved` runs after a write.
 */
export async function changeLocked<T>(
  rows: Lockable<T>,
  id: number,
  notFound: CatalogError,
  change: (current: T) => T,
  saved?: (row: T) => Promise<unknown>,
): Promise<Result<T, CatalogError>> {
  const current = await rows.byId(id, true)
  if (!current) return err(notFound)
  const next = change(current)
  if (next === current) return ok(current)
  const r = await rows.update(next)
  if (r.ok && saved) await saved(r.value)
  return r
}
