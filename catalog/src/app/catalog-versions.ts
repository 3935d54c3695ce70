import type { CatalogDeps, CatalogVersions } from '../ports.ts'

/**
 * The catalog's change counters, one cheap read. A caller that reads them before a listing holds
 * counters that are never ahead of the listing it then reads: a change committed in between makes
 * them older than the data (a later comparison then misses and reads again), never newer (which
 * would let a stale copy pass for current).
 */
export function catalogVersions({ store }: CatalogDeps): Promise<CatalogVersions> {
  return store.versions()
}
