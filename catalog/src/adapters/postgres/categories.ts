import { type Result, err, ok } from '@shop/kernel/result'
import type { Q, TxSql } from '@shop/platform/postgres/connect'
import { pgError } from '@shop/platform/postgres/transact'
import type { Category, NewCategory } from '../../domain/category.ts'
import type { ErrorOf } from '../../domain/errors.ts'
import { nameKey } from '../../domain/name-key.ts'
import type { Page, Paged } from '@shop/kernel/app'
import type { Categories, CategoryReads, CategoryScope } from '../../ports.ts'
import { type CategoryRow, categoryColumns, guarded, toCategory } from './rows.ts'

/** A page's rows in rank order, each with whether the ranks were current and the scope's total. */
type RankedRows = (Partial<CategoryRow> & { fresh: boolean; total: number })[]

/**
 * Every hierarchy query here is one round trip whatever the depth. Sibling order is name_key
 * (collation "C", code point order). A flat page is walked in depth-first order (its offset plus
 * its limit, never the whole scope); a tree is bounded in depth, its order the array of name keys
 * from the top down, which sorts each parent right before its subtree.
 */
export function postgresCategoryReads(sql: Q): CategoryReads {
  // The scope's top categories. Two spellings rather than "is not distinct from", which no index serves.
  const tops = (scope: CategoryScope) =>
    scope.under === undefined ? sql`c.parent_id is null` : sql`c.parent_id = ${scope.under}`

  const columns = categoryColumns.of(sql)
  const prefixed = categoryColumns.of(sql, 'c')

  // A page read with the check that the ranks it used are current (one statement, one snapshot). Stale ranks (the
  // tree changed since they were walked): walk them again, then read again; after 6 tries, the last read stands.
  const freshRanks = async (read: () => Promise<RankedRows>): Promise<Paged<Category>> => {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await sql`select category_order_refresh()`
      const rows = await read()
      const meta = rows[0]
      if (!meta?.fresh && attempt < 6) continue
      const items = rows.filter((r) => r.id != null).map((r) => toCategory(r as CategoryRow))
      return { items, total: meta?.total ?? 0 }
    }
  }

  return {
    async byId(id) {
      const [row] = await sql<CategoryRow[]>`select ${columns} from categories where id = ${id}`
      return row && toCategory(row)
    },

    async lineage(id) {
      // category_path_of (migration 006): the walk up, pinned to the primary key's index.
      const rows = await sql<CategoryRow[]>`
        select ${columns} from categories where id = any(category_path_of(${id})) order by level`
      return rows.map(toCategory)
    },

    async list(scope: CategoryScope, page: Page): Promise<Paged<Category>> {
      // A range of ranks in category_order (migration 006): the depth-first order of the whole
      // catalog, walked again only when the tree changed since. The page is read with the check
      // that the ranks are those of the tree it sees (one statement, one snapshot); a change
      // committed in between makes it refresh and read again.
      return freshRanks(
        () => sql<RankedRows>`
          with state as (
            select s.version = (select v.categories from catalog_version v) as fresh, s.total
            from category_order_state s
          ), span as (
            select 1 as lo, (select total from state) as hi where ${scope.under ?? null}::bigint is null
            union all
            select o.rank + 1, o.last from category_order o where o.category_id = ${scope.under ?? null}::bigint
          ), meta as (
            select (select fresh from state) as fresh,
              coalesce((select hi - lo + 1 from span), 0)::int as total,
              (select lo from span) + ${page.offset} as first,
              least((select hi from span), (select lo from span) + ${page.offset + page.limit - 1}) as final
          )
          select meta.fresh, meta.total, x.*
          from meta left join lateral (
            select ${prefixed}, o.rank from category_order o join categories c on c.id = o.category_id
            where o.rank between meta.first and meta.final
          ) x on true
          order by x.rank`,
      )
    },

    async forest(scope: CategoryScope, page: Page, depth: number): Promise<Paged<Category>> {
      // Bounded: `depth` levels from the top categories down (category_forest, migration 006),
      // sorted depth-first by their ranks, read with the check that the ranks are current.
      return freshRanks(
        () => sql<RankedRows>`
          select (select s.version = (select v.categories from catalog_version v) from category_order_state s) as fresh,
            (select count(*)::int from categories c where ${tops(scope)}) as total, f.*
          from (select 1) as one left join lateral (
            select * from category_forest(${scope.under ?? null}::bigint, ${page.offset}, ${page.limit}, ${depth})
          ) f on true
          order by f.rank`,
      )
    },
  }
}

/**
 * Category writes take the locks of the departments they touch (migration 003: one advisory
 * lock per top-level category) exclusively, first, before any row lock, all in one call sent
 * with the statement they guard: two moves that could meet (crossing, nested, into each other's
 * departments) then run one after the other instead of deadlocking on each other's rows, moves in
 * different departments run side by side, and product writes (which take them shared) never read
 * a path a move is rewriting. Levels and departments of a moved subtree, the products' paths and the
 * counts are the triggers' work, in the same transaction.
 *
 * Reading a category "for a change" (`byId(id, true)`) takes no lock: which departments a change
 * touches is only known with the change (a move's destination). Instead the read is remembered,
 * and `update` refuses to write over a category changed since: it fails with a serialization
 * failure, and the transaction is run again from the start (see kernel `transact`).
 */
export function postgresCategories(tx: TxSql): Categories {
  const reads = postgresCategoryReads(tx)
  const lock = (categories: (number | null)[], also: number[] = []) =>
    tx`select catalog_lock_departments(${categories}::bigint[], true, ${also}::bigint[])`
  const columns = categoryColumns.of(tx)
  const readForChange = new Map<number, Category>()
  const nameTaken = (e: unknown) => {
    const { code, constraint } = pgError(e)
    return code === '23505' && constraint === 'categories_siblings'
  }

  return {
    ...reads,

    async byId(id, forChange = false) {
      const found = await reads.byId(id)
      if (forChange && found) readForChange.set(id, found)
      return found
    },

    async insert(c: NewCategory): Promise<Result<Category, ErrorOf<'ParentNotFound' | 'CategoryNameTaken'>>> {
      // The lock and the parent's check in one round trip, the lock first.
      const [, found] = await Promise.all([
        lock([c.parentId]),
        c.parentId === null ? [] : tx`select 1 from categories where id = ${c.parentId}`,
      ])
      if (c.parentId !== null && !found[0]) return err({ type: 'ParentNotFound', parentId: c.parentId })
      // The level (and department) are derived from the parent by the insert trigger.
      // The only unique index besides the key is the sibling-name one: a conflict is a taken name.
      const [row] = await tx<CategoryRow[]>`
        insert into categories (name, name_key, description, parent_id, created_at, updated_at)
        values (${c.name}, ${nameKey(c.name)}, ${c.description}, ${c.parentId}, ${c.now}, ${c.now})
        on conflict do nothing
        returning ${columns}`
      return row ? ok(toCategory(row)) : err({ type: 'CategoryNameTaken', name: c.name, parentId: c.parentId })
    },

    /**
     * One statement, sent with the lock: the checks (the category exists, the parent exists, the
     * parent is not the category or below it — walked up the adjacency list —, no sibling there
     * has the name) and the write. Under the tree lock nothing else changes the tree meanwhile,
     * so the checks stay true until the commit. When the parent changes, the triggers move the
     * whole subtree (levels, departments, its products' paths, the counts of old and new ancestors).
     */
    async update(c: Category) {
      const parent = c.parentId
      const key = nameKey(c.name)
      const seen = readForChange.get(c.id)
      let answer:
        | (Partial<CategoryRow> & { verdict: 'ok' | 'missing' | 'stale' | 'no-parent' | 'cycle' | 'taken' })
        | undefined
      try {
        ;[, [answer]] = await Promise.all([
          // the departments it leaves and enters (a new root is a department of its own)
          lock([c.id, parent], parent === null ? [c.id] : []),
          tx<(Partial<CategoryRow> & { verdict: 'ok' | 'missing' | 'stale' | 'no-parent' | 'cycle' | 'taken' })[]>`
            with up as (
              select unnest(category_path_of(${parent}::bigint)) as id
            ), verdict as (
              select case
                when not exists (select 1 from categories where id = ${c.id}) then 'missing'
                ${
                  seen
                    ? tx`when exists (select 1 from categories where id = ${c.id} and (name, description, parent_id)
                                 is distinct from (${seen.name}::text, ${seen.description}::text,
                                   ${seen.parentId}::bigint)) then 'stale'`
                    : tx``
                }
                when ${parent}::bigint is not null and not exists (select 1 from up) then 'no-parent'
                when exists (select 1 from up where up.id = ${c.id}) then 'cycle'
                when exists (select 1 from categories s
                  where ${parent === null ? tx`s.parent_id is null` : tx`s.parent_id = ${parent}`}
                             and s.name_key = ${key} and s.id <> ${c.id}) then 'taken'
                else 'ok' end as verdict
            ), changed as (
              update categories t set parent_id = ${parent}::bigint, name = ${c.name}, name_key = ${key},
                description = ${c.description}, updated_at = ${c.updatedAt}
              from verdict
              where t.id = ${c.id} and verdict.verdict = 'ok'
              returning ${categoryColumns.of(tx, 't')}
            )
            select verdict.verdict, changed.* from verdict left join changed on true`,
        ])
      } catch (e) {
        // Only a writer that bypasses the tree lock (plain SQL) could take the name meanwhile;
        // the transaction is then aborted, and the caller rolls it back on this error.
        if (nameTaken(e)) return err({ type: 'CategoryNameTaken', name: c.name, parentId: parent })
        throw e
      }
      switch (answer!.verdict) {
        case 'ok':
          return ok(toCategory(answer as CategoryRow))
        case 'missing':
          return err({ type: 'CategoryNotFound', id: c.id })
        case 'stale':
          // Changed since it was read for this change: the transaction runs again, reading it anew.
          throw Object.assign(new Error(`category ${c.id} changed since it was read; running the change again`), {
            code: '40001',
          })
        case 'no-parent':
          return err({ type: 'ParentNotFound', parentId: parent! })
        case 'cycle':
          return err({ type: 'CategoryCycle', id: c.id, parentId: parent! })
        case 'taken':
          return err({ type: 'CategoryNameTaken', name: c.name, parentId: parent })
      }
    },

    async remove(id: number): Promise<Result<boolean, ErrorOf<'CategoryHasChildren' | 'CategoryHasProducts'>>> {
      const [, [found]] = await Promise.all([
        lock([id]),
        tx<{ children: boolean; products: boolean }[]>`
          select exists (select 1 from categories k where k.parent_id = c.id) as children,
                 exists (select 1 from products p where p.category_id = c.id) as products
          from categories c where c.id = ${id}`,
      ])
      if (!found) return ok(false)
      if (found.children) return err({ type: 'CategoryHasChildren', id })
      if (found.products) return err({ type: 'CategoryHasProducts', id })
      try {
        await guarded(tx, (q) => q`delete from categories where id = ${id}`)
        return ok(true)
      } catch (e) {
        // A product added after the check by a writer that bypasses the tree lock (plain SQL).
        if (pgError(e).code === '23503') return err({ type: 'CategoryHasProducts', id })
        throw e
      }
    },
  }
}
