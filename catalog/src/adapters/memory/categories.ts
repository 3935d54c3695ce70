import { type Result, err, ok } from '@shop/kernel/result'
import type { Sequence, Table } from '@shop/platform/memory/transactor'
import { type Category, levelUnder, wouldCycle } from '../../domain/category.ts'
import type { ErrorOf } from '../../domain/errors.ts'
import { nameKey } from '../../domain/name-key.ts'
import { childrenIndex, depthFirst, lineageOf, subtreeIds } from '../../domain/tree.ts'
import type { Page } from '@shop/kernel/app'
import type { Categories, CategoryScope } from '../../ports.ts'

/** The category store in plain code: the same semantics as the recursive CTEs of the postgres adapter. */
export class MemoryCategories implements Categories {
  constructor(
    private readonly rows: Table<number, Category>,
    private readonly ids: Sequence,
    /** Whether a category still has products (the product table lives beside this one). */
    private readonly hasProducts: (categoryId: number) => boolean,
    /** Called on every change (the change counter). */
    private readonly changed: () => void = () => {},
  ) {}

  async byId(id: number) {
    return this.rows.get(id)
  }

  async lineage(id: number) {
    return lineageOf(this.rows, id)
  }

  private tops(scope: CategoryScope): { index: Map<number | null, Category[]>; tops: Category[] } {
    const index = childrenIndex(this.rows.values())
    const parent = scope.under ?? null
    // An unknown `under` has no children: an empty scope.
    return { index, tops: index.get(parent) ?? [] }
  }

  async list(scope: CategoryScope, page: Page) {
    const { index, tops } = this.tops(scope)
    const all = depthFirst(index, tops)
    return { items: all.slice(page.offset, page.offset + page.limit), total: all.length }
  }

  async forest(scope: CategoryScope, page: Page, depth: number) {
    const { index, tops } = this.tops(scope)
    return { items: depthFirst(index, tops.slice(page.offset, page.offset + page.limit), depth), total: tops.length }
  }

  private siblingNamed(parentId: number | null, name: string, except?: number): Category | undefined {
    const key = nameKey(name)
    for (const c of this.rows.values())
      if (c.parentId === parentId && c.id !== except && nameKey(c.name) === key) return c
    return undefined
  }

  async insert(
    c: Parameters<Categories['insert']>[0],
  ): Promise<Result<Category, ErrorOf<'ParentNotFound' | 'CategoryNameTaken'>>> {
    const parent = c.parentId === null ? undefined : this.rows.get(c.parentId)
    if (c.parentId !== null && !parent) return err({ type: 'ParentNotFound', parentId: c.parentId })
    if (this.siblingNamed(c.parentId, c.name))
      return err({ type: 'CategoryNameTaken', name: c.name, parentId: c.parentId })
    const row: Category = {
      id: this.ids.next(),
      name: c.name,
      description: c.description,
      parentId: c.parentId,
      level: levelUnder(parent),
      createdAt: c.now,
      updatedAt: c.now,
    }
    this.rows.set(row.id, row)
    this.changed()
    return ok(row)
  }

  async update(
    c: Category,
  ): Promise<Result<Category, ErrorOf<'ParentNotFound' | 'CategoryNameTaken' | 'CategoryCycle' | 'CategoryNotFound'>>> {
    const current = this.rows.get(c.id)
    if (!current) return err({ type: 'CategoryNotFound', id: c.id })
    let level = current.level
    if (c.parentId !== current.parentId) {
      const parent = c.parentId === null ? undefined : this.rows.get(c.parentId)
      if (c.parentId !== null) {
        if (!parent) return err({ type: 'ParentNotFound', parentId: c.parentId })
        if (
          wouldCycle(
            c.id,
            c.parentId,
            lineageOf(this.rows, c.parentId).map((a) => a.id),
          )
        )
          return err({ type: 'CategoryCycle', id: c.id, parentId: c.parentId })
      }
      level = levelUnder(parent)
    }
    if (this.siblingNamed(c.parentId, c.name, c.id))
      return err({ type: 'CategoryNameTaken', name: c.name, parentId: c.parentId })
    const delta = level - current.level
    if (delta !== 0) {
      for (const id of subtreeIds(childrenIndex(this.rows.values()), c.id)) {
        const row = this.rows.get(id)!
        if (id !== c.id) this.rows.set(id, { ...row, level: row.level + delta, updatedAt: c.updatedAt })
      }
    }
    const saved: Category = { ...c, level }
    this.rows.set(c.id, saved)
    this.changed()
    return ok(saved)
  }

  async remove(id: number): Promise<Result<boolean, ErrorOf<'CategoryHasChildren' | 'CategoryHasProducts'>>> {
    if (!this.rows.has(id)) return ok(false)
    for (const c of this.rows.values()) if (c.parentId === id) return err({ type: 'CategoryHasChildren', id })
    if (this.hasProducts(id)) return err({ type: 'CategoryHasProducts', id })
    this.rows.delete(id)
    this.changed()
    return ok(true)
  }
}
