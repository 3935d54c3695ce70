import type { Sql } from '@shop/platform/postgres/connect'

/**
 * What the catalog database derives from its adjacency list (migrations 003, 006), recomputed from
 * scratch and compared with what the triggers kept: levels and departments of categories, the paths
 * on products, both per-category counts, and that the tree has no cycle (every category is
 * reached from a root). Returns a description of each difference; empty when all is right.
 */
export async function derivedDataErrors(sql: Sql): Promise<string[]> {
  const rows = await sql<{ what: string; id: number }[]>`
    with recursive truth as (
      select id, array[id] as path from categories where parent_id is null
      union all
      select c.id, t.path || c.id from categories c join truth t on c.parent_id = t.id
    ), counted as (
      select a as id, count(*) as below, count(*) filter (where a = p.category_id) as own
      from products p, unnest(p.category_path) as a group by a
    )
    select 'category not reached from a root (a cycle)' as what, c.id from categories c where not exists (select 1
      from truth t where t.id = c.id)
    union all
    select 'category level or department', c.id from categories c join truth t on t.id = c.id
      where c.department <> t.path[1] or c.level <> cardinality(t.path) - 1
    union all
    select 'product path', p.id from products p join truth t on t.id = p.category_id
      where p.category_path <> t.path
    union all
    select 'category without a counts row', c.id from categories c where not exists (select 1
      from category_product_counts n where n.category_id = c.id)
    union all
    select 'subtree count', n.category_id from category_product_counts n left join counted k on k.id = n.category_id
      where n.subtree <> coalesce(k.below, 0)
    union all
    select 'direct count', n.category_id from category_product_counts n where n.products <> (select count(*)
      from products p where p.category_id = n.category_id)
    order by 1, 2
    limit 20`
  return rows.map((r) => `${r.what}: ${r.id}`)
}
