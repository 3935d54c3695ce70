import { type Result, err, ok } from '@shop/shared-kernel/result'
import type { Q, TxSql } from '@shop/shared-kernel/postgres/connect'
import { pgError } from '@shop/shared-kernel/postgres/transact'
import type { Category, NewCategory } from '../../domain/category.ts'
import type { ErrorOf } from '../../domain/errors.ts'
import { nameKey } from '../../domain/name-key.ts'
import type { Page, Paged } from '@shop/shared-kernel/app'
import type { Categories, CategoryReads, CategoryScope } from '../../ports.ts'
import { type CategoryRow, guarded, toCategory } from './rows.ts'

/**
 * Every hierarchy query here is one recursive CTE, one round trip whatever the depth. Sibling
 * order is name_key (collation "C", code point order); the depth-first order is the array of
 * name keys from the top down, which sorts each parent right before its subtree.
 */
export function postgresCategoryReads(sql: Q): CategoryReads {
  // The scope's top categories. Two spellings rather than "is not distinct from", which no index serves.
  const tops = (scope: CategoryScope) => (scope.under === undefined ? sql`c.parent_id is null` : sql`c.parent_id = ${scope.under}`)

  // When the page is past the end, the window count has no row to ride on.
  const totalOf = async (rows: { total: number }[], count: () => Promise<number>) => rows[0]?.total ?? (await count())

  return {
    async byId(id) {
      const [row] = await sql<CategoryRow[]>`select * from categories where id = ${id}`
      return row && toCategory(row)
    },

    async lineage(id) {
      const rows = await sql<CategoryRow[]>`
        with recursive up as (
          select c.*, 0 as depth from categories c where c.id = ${id}
          union all
          select c.*, up.depth + 1 from categories c join up on c.id = up.parent_id
        )
        select id, name, description, parent_id, level, created_at, updated_at from up order by depth desc`
      return rows.map(toCategory)
    },

    async list(scope: CategoryScope, page: Page): Promise<Paged<Category>> {
      const rows = await sql<(CategoryRow & { total: number })[]>`
        with recursive tree as (
          select c.*, array[c.name_key] as path from categories c where ${tops(scope)}
          union all
          select c.*, tree.path || c.name_key from categories c join tree on c.parent_id = tree.id
        )
        select id, name, description, parent_id, level, created_at, updated_at, count(*) over ()::int as total
        from tree order by path limit ${page.limit} offset ${page.offset}`
      const total = await totalOf(rows, async () => {
        const [r] = await sql<{ n: number }[]>`
          with recursive tree as (
            select c.id from categories c where ${tops(scope)}
            union all
            select c.id from categories c join tree on c.parent_id = tree.id
          )
          select count(*)::int as n from tree`
        return r?.n ?? 0
      })
      return { items: rows.map(toCategory), total }
    },

    async forest(scope: CategoryScope, page: Page): Promise<Paged<Category>> {
      const rows = await sql<(CategoryRow & { total: number })[]>`
        with recursive page as (
          select c.* from categories c where ${tops(scope)} order by c.name_key limit ${page.limit} offset ${page.offset}
        ), tree as (
          select page.*, array[page.name_key] as path from page
          union all
          select c.*, tree.path || c.name_key from categories c join tree on c.parent_id = tree.id
        )
        select id, name, description, parent_id, level, created_at, updated_at,
          (select count(*)::int from categories c where ${tops(scope)}) as total
        from tree order by path`
      const total = await totalOf(rows, async () => {
        const [r] = await sql<{ n: number }[]>`select count(*)::int as n from categories c where ${tops(scope)}`
        return r?.n ?? 0
      })
      return { items: rows.map(toCategory), total }
    },
  }
}

/**
 * Category writes take one transaction-scoped advisory lock first: they are rare admin actions,
 * and serializing them is what keeps levels right and cycles out when two moves (or a move and
 * an insert below the moved subtree) run at once. Each statement after the lock sees every
 * earlier write (read committed takes a new snapshot per statement).
 */
export function postgresCategories(tx: TxSql): Categories {
  const reads = postgresCategoryReads(tx)
  const lockHierarchy = () => tx`select pg_advisory_xact_lock(hashtext('shop.catalog.categories'))`
  const nameTaken = (e: unknown) => {
    const { code, constraint } = pgError(e)
    return code === '23505' && constraint === 'categories_siblings'
  }

  return {
    ...reads,

    async byId(id, lock = false) {
      const [row] = await tx<CategoryRow[]>`select * from categories where id = ${id} ${lock ? tx`for update` : tx``}`
      return row && toCategory(row)
    },

    async insert(c: NewCategory): Promise<Result<Category, ErrorOf<'ParentNotFound' | 'CategoryNameTaken'>>> {
      await lockHierarchy()
      let level = 0
      if (c.parentId !== null) {
        const [parent] = await tx<{ level: number }[]>`select level from categories where id = ${c.parentId}`
        if (!parent) return err({ type: 'ParentNotFound', parentId: c.parentId })
        level = parent.level + 1
      }
      // The only unique index besides the key is the sibling-name one: a conflict is a taken name.
      const [row] = await tx<CategoryRow[]>`
        insert into categories (name, name_key, description, parent_id, level, created_at, updated_at)
        values (${c.name}, ${nameKey(c.name)}, ${c.description}, ${c.parentId}, ${level}, ${c.now}, ${c.now})
        on conflict do nothing
        returning *`
      return row ? ok(toCategory(row)) : err({ type: 'CategoryNameTaken', name: c.name, parentId: c.parentId })
    },

    async update(c: Category) {
      await lockHierarchy()
      const [stored] = await tx<{ parent_id: number | null }[]>`select parent_id from categories where id = ${c.id}`
      if (!stored) return err({ type: 'CategoryNotFound', id: c.id })
      return stored.parent_id === c.parentId ? rename(c) : move(c)
    },

    async remove(id: number): Promise<Result<boolean, ErrorOf<'CategoryHasChildren' | 'CategoryHasProducts'>>> {
      await lockHierarchy()
      const [found] = await tx<{ children: boolean; products: boolean }[]>`
        select exists (select 1 from categories k where k.parent_id = c.id) as children,
               exists (select 1 from products p where p.category_id = c.id) as products
        from categories c where c.id = ${id}`
      if (!found) return ok(false)
      if (found.children) return err({ type: 'CategoryHasChildren', id })
      if (found.products) return err({ type: 'CategoryHasProducts', id })
      try {
        await guarded(tx, (q) => q`delete from categories where id = ${id}`)
        return ok(true)
      } catch (e) {
        // A product added to it after the check (product writes do not take the hierarchy lock).
        if (pgError(e).code === '23503') return err({ type: 'CategoryHasProducts', id })
        throw e
      }
    },
  }

  async function rename(c: Category): Promise<Result<Category, ErrorOf<'CategoryNameTaken' | 'CategoryNotFound'>>> {
    try {
      const [row] = await guarded(tx, (q) => q<CategoryRow[]>`
        update categories set name = ${c.name}, name_key = ${nameKey(c.name)}, description = ${c.description}, updated_at = ${c.updatedAt}
        where id = ${c.id}
        returning *`)
      return row ? ok(toCategory(row)) : err({ type: 'CategoryNotFound', id: c.id })
    } catch (e) {
      if (nameTaken(e)) return err({ type: 'CategoryNameTaken', name: c.name, parentId: c.parentId })
      throw e
    }
  }

  /**
   * One statement: refuses a move into the category's own subtree (it is then on the new
   * parent's ancestor chain, `up`), and shifts the level of the whole subtree (`sub`) by the
   * same amount. Descendants get a new updated_at only when their level changes.
   */
  async function move(c: Category): Promise<Result<Category, ErrorOf<'ParentNotFound' | 'CategoryNameTaken' | 'CategoryCycle' | 'CategoryNotFound'>>> {
    const parent = c.parentId
    let rows: CategoryRow[]
    try {
      rows = await guarded(tx, (q) => q<CategoryRow[]>`
        with recursive up as (
          select id, parent_id from categories where id = ${parent}
          union all
          select a.id, a.parent_id from categories a join up on a.id = up.parent_id
        ), sub as (
          select id from categories where id = ${c.id}
          union all
          select k.id from categories k join sub on k.parent_id = sub.id
        ), shift as (
          select coalesce((select level + 1 from categories where id = ${parent}), 0) - level as delta
          from categories where id = ${c.id}
        )
        update categories t set
          level = t.level + shift.delta,
          parent_id = case when t.id = ${c.id} then ${parent}::bigint else t.parent_id end,
          name = case when t.id = ${c.id} then ${c.name} else t.name end,
          name_key = case when t.id = ${c.id} then ${nameKey(c.name)} else t.name_key end,
          description = case when t.id = ${c.id} then ${c.description} else t.description end,
          updated_at = case when t.id = ${c.id} or shift.delta <> 0 then ${c.updatedAt}::timestamptz else t.updated_at end
        from sub, shift
        where t.id = sub.id
          and not exists (select 1 from up where up.id = ${c.id})
          and (${parent}::bigint is null or exists (select 1 from up))
        returning t.*`)
    } catch (e) {
      if (nameTaken(e)) return err({ type: 'CategoryNameTaken', name: c.name, parentId: c.parentId })
      throw e
    }
    const moved = rows.find((r) => r.id === c.id)
    if (moved) return ok(toCategory(moved))
    // Nothing moved: say why (the hierarchy lock keeps this answer true).
    if (parent === null) return err({ type: 'CategoryNotFound', id: c.id })
    const [p] = await tx`select 1 from categories where id = ${parent}`
    return p ? err({ type: 'CategoryCycle', id: c.id, parentId: parent }) : err({ type: 'ParentNotFound', parentId: parent })
  }
}
