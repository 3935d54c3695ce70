export interface Category {
  readonly id: number
  readonly name: string
  readonly description: string | null
  readonly parentId: number | null
  /** 0 for a root, the parent's level + 1 otherwise; kept right by every move. */
  readonly level: number
  readonly createdAt: Date
  readonly updatedAt: Date
}

/** What a product or a breadcrumb shows of a category. */
export interface CategoryRef {
  readonly id: number
  readonly name: string
  readonly level: number
}

export const categoryRef = (c: Category): CategoryRef => ({ id: c.id, name: c.name, level: c.level })

/** A category about to be stored; the store assigns the id and derives the level from the parent. */
export interface NewCategory {
  readonly name: string
  readonly description: string | null
  readonly parentId: number | null
  readonly now: Date
}

export interface CategoryChanges {
  readonly name?: string
  readonly description?: string | null
  /** null makes it a root; a number moves it (and its whole subtree) under that category. */
  readonly parentId?: number | null
}

/** The level of a category placed under `parent` (undefined: a root). */
export const levelUnder = (parent: { readonly level: number } | undefined): number => (parent ? parent.level + 1 : 0)

/**
 * A move of `id` under `newParentId` closes a loop when the new parent is the category itself or
 * one of its descendants, that is when `id` is on the new parent's lineage (its ancestors and
 * itself, as `lineage` lists them).
 */
export const wouldCycle = (id: number, newParentId: number, lineage: readonly number[]): boolean =>
  newParentId === id || lineage.includes(id)

/**
 * Applies changes; the same category when nothing changes. The level is the store's to derive
 * (it depends on the new parent's level), so a move keeps the old one here.
 */
export function changeCategory(c: Category, changes: CategoryChanges, now: Date): Category {
  const next: Category = {
    ...c,
    name: changes.name ?? c.name,
    description: changes.description !== undefined ? changes.description : c.description,
    parentId: changes.parentId !== undefined ? changes.parentId : c.parentId,
  }
  const changed = next.name !== c.name || next.description !== c.description || next.parentId !== c.parentId
  return changed ? { ...next, updatedAt: now } : c
}
