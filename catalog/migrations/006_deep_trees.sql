-- Deep trees at the cost of their length, not its square (issue 21: a 5,000-level chain took
-- 109 s to create, 12.7 s to move, seconds to list).
--
-- categories.path (the ids from the root down) made every row as long as its depth: creating a
-- chain of n categories wrote n²/2 ids (and read them back on every lock, trigger and listing),
-- and a move rewrote the paths of the whole subtree, arrays built level by level. It goes. What
-- it was used for is now:
--   categories.department  the top-level category above (itself for a root): the department
--                          lock's key, read in O(1) (was path[1]);
--   categories.level       kept from the parent's on insert (O(1)), shifted for the moved
--                          subtree on a move (O(subtree));
--   category_path_of(id)   the ids from the root down, walked up the adjacency list when needed:
--                          a product's path (products.category_path stays: the subtree product
--                          listing and the counts rely on it), the ancestors a move leaves and
--                          enters (their counts).
-- A move no longer builds paths for the subtree: levels and departments are shifted in one walk
-- down (ids only), and only products below the moved category get a new path (their old one's
-- tail after it, behind the moved category's new path), found through the GIN index.

alter table categories add column department bigint;
update categories set department = path[1];
alter table categories alter column department set not null;

-- The walks of the hierarchy, one probe per category passed, whatever the planner's statistics
-- say: with none yet (a chain just created), a recursive join on parent_id is planned as a hash
-- join over a scan of the whole table at every level, quadratic in the depth (a 5,000-level walk
-- took 30 s). These functions pin the index plan; every walk goes through them.

-- The ids from the root down to `p_id` (itself last); empty when there is no such category.
create function category_path_of(p_id bigint) returns bigint[] language sql stable
set enable_hashjoin = off set enable_mergejoin = off set enable_seqscan = off
as $$
  with recursive up(id, parent_id, level) as (
    select id, parent_id, level from categories where id = p_id
    union all
    select c.id, c.parent_id, c.level from categories c join up on c.id = up.parent_id
  )
  select coalesce(array_agg(id order by level), '{}') from up
$$;

-- The ids strictly below `p_id` (all of them, in no particular order).
create function category_subtree_ids(p_id bigint) returns setof bigint language sql stable
set enable_hashjoin = off set enable_mergejoin = off set enable_seqscan = off
as $$
  with recursive sub(id) as (
    select k.id from categories k where k.parent_id = p_id
    union all
    select k.id from categories k join sub on k.parent_id = sub.id
  )
  select id from sub
$$;

create or replace function catalog_lock_departments(categories bigint[], exclusive boolean, also bigint[] default '{}')
returns void
language plpgsql as $$
declare
  wanted bigint[];
  now_in bigint[];
  d bigint;
begin
  wanted := array(
    select distinct x
    from (select c.department as x from categories c where c.id = any(categories) union select unnest(also)) s
    where x is not null order by x);
  foreach d in array wanted loop
    if exclusive then
      perform pg_advisory_xact_lock(1667331175, (d % 2147483647)::int);
    else
      perform pg_advisory_xact_lock_shared(1667331175, (d % 2147483647)::int);
    end if;
  end loop;
  -- A move of a whole department may have committed while this waited: the categories are then
  -- in departments not locked here. The transaction did nothing yet; it is run again.
  now_in := array(select distinct c.department from categories c where c.id = any(categories));
  if not (now_in <@ wanted) then
    raise exception using errcode = 'serialization_failure',
      message = 'the category tree changed while its departments were being locked; retry';
  end if;
end
$$;

-- Level and department from the parent as it is now (O(1)); a move into the category's own
-- subtree is refused here too, walking up from the new parent (O(depth)).
create or replace function categories_derive() returns trigger language plpgsql as $$
declare
  above record;
begin
  if tg_op = 'INSERT' then
    perform catalog_lock_departments(array[new.parent_id], true);
  else
    perform catalog_lock_departments(array[old.id, new.parent_id], true,
      case when new.parent_id is null then array[new.id] else '{}' end);
  end if;
  if new.parent_id is null then
    new.level := 0;
    new.department := new.id;
    return new;
  end if;
  select c.level, c.department into above from categories c where c.id = new.parent_id;
  if not found then
    raise foreign_key_violation using message = format(
      'category %s: its parent %s does not exist (insert parents before their children)', new.id, new.parent_id);
  end if;
  if tg_op = 'UPDATE' and new.id = any(category_path_of(new.parent_id)) then
    raise check_violation using message = format(
      'category %s cannot move under %s, which is in its own subtree', new.id, new.parent_id);
  end if;
  new.level := above.level + 1;
  new.department := above.department;
  return new;
end
$$;

-- A move: the subtree's levels and department, walked down by ids only; the paths of the
-- products below the moved category; its products' count carried from the old ancestors to the
-- new ones (ancestors both share are not touched). Descendants whose level changes get the
-- moved category's updated_at.
create or replace function categories_moved() returns trigger language plpgsql as $$
declare
  carried bigint;
  delta record;
  shift integer := new.level - old.level;
  old_above bigint[];
  new_above bigint[];
  new_path bigint[];
  below bigint[];
begin
  if shift <> 0 or new.department <> old.department then
    -- the ids first (walked through the index), then the update by them
    below := array(select category_subtree_ids(new.id));
    update categories c set level = c.level + shift, department = new.department,
      updated_at = case when shift <> 0 then new.updated_at else c.updated_at end
    where c.id = any(below);
  end if;

  select subtree into carried from category_product_counts where category_id = new.id;
  if coalesce(carried, 0) = 0 then
    return null;
  end if;
  new_path := category_path_of(new.id);
  -- a product's old path is old ancestors (old.level of them), the moved category, its own tail
  update products p set category_path = new_path || p.category_path[old.level + 2:]
  where p.category_path @> array[new.id];

  old_above := category_path_of(old.parent_id);
  new_above := new_path[1:cardinality(new_path) - 1];
  select array_agg(a order by a) as ids, array_agg(0::bigint order by a) as own, array_agg(d order by a) as below
  into delta
  from (
    select a, sum(d)::bigint as d from (
      select unnest(old_above) as a, -carried as d
      union all
      select unnest(new_above), carried
    ) x group by a having sum(d) <> 0
  ) y;
  if delta.ids is not null then
    perform category_counts_add(delta.ids, delta.own, delta.below);
  end if;
  return null;
end
$$;

-- Products: the category's path, walked up (O(depth) of the category, once per product write).
create or replace function products_derive() returns trigger language plpgsql as $$
declare
  p bigint[];
begin
  if tg_op = 'INSERT' then
    perform catalog_lock_departments(array[new.category_id], false);
  else
    perform catalog_lock_departments(array[old.category_id, new.category_id], false);
  end if;
  p := category_path_of(new.category_id);
  if cardinality(p) = 0 then
    raise foreign_key_violation using
      message = format('product %s: category %s does not exist', new.id, new.category_id);
  end if;
  new.category_path := p;
  return new;
end
$$;

alter table categories drop constraint categories_path;
alter table categories drop column path;

-- The depth-first order of the whole catalog, kept beside it: each category's rank (its
-- position, from 1) and the rank of the last category of its subtree. A subtree is then a range
-- of ranks, and a page of any listing a range scan: its limit, whatever its offset or the depth.
-- It is rebuilt by the first listing that finds it older than the tree (catalog_version's
-- categories counter, bumped by every committed change of a category): one walk of the catalog
-- through the sibling index, once per change, never by the writes themselves (creating a chain
-- stays linear in its length).
create table category_order (
  category_id bigint primary key,
  rank integer not null,
  last integer not null
);
create unique index category_order_rank on category_order (rank) include (category_id);
create table category_order_state (
  singleton boolean primary key default true check (singleton),
  -- the categories counter of catalog_version the ranks were walked at; -1: never
  version bigint not null default -1,
  total integer not null default 0
);
insert into category_order_state default values;

-- The walk: depth-first, siblings by name_key, one probe of the sibling index per category and
-- one more per parent; rank and last of every category. Stable: one snapshot for the whole walk.
create function category_order_walk() returns table (category_id bigint, rank integer, last integer)
language plpgsql stable set enable_seqscan = off as $$
declare
  parents bigint[] := array[null::bigint];
  lasts text[] := array[''];
  ranks integer[] := array[0];
  top integer := 1;
  n integer := 0;
  c record;
begin
  loop
    if parents[top] is null then
      select k.id, k.name_key into c from categories k
      where k.parent_id is null and k.name_key > lasts[top] collate "C" order by k.name_key limit 1;
    else
      select k.id, k.name_key into c from categories k
      where k.parent_id = parents[top] and k.name_key > lasts[top] collate "C" order by k.name_key limit 1;
    end if;
    if not found then
      exit when top = 1;
      category_id := parents[top];
      rank := ranks[top];
      last := n;
      return next;
      top := top - 1;
      continue;
    end if;
    lasts[top] := c.name_key;
    n := n + 1;
    top := top + 1;
    parents[top] := c.id;
    lasts[top] := '';
    ranks[top] := n;
  end loop;
end
$$;

-- Brings category_order up to the tree as committed now; one caller walks, the others wait for it.
create function category_order_refresh() returns void language plpgsql as $$
begin
  if (select version from category_order_state) = (select categories from catalog_version) then
    return;
  end if;
  perform pg_advisory_xact_lock(1667331175, -1);
  -- refreshed by another caller while this one waited (each statement here sees what is committed)
  if (select version from category_order_state) = (select categories from catalog_version) then
    return;
  end if;
  delete from category_order;
  -- one statement: the ranks and the counter they belong to read in one snapshot
  with walked as (
    insert into category_order (category_id, rank, last) select * from category_order_walk() returning 1
  )
  update category_order_state set version = (select categories from catalog_version),
    total = (select count(*) from walked);
end
$$;

-- A page of top categories (the roots when `p_under` is null, else its children, by name_key),
-- each with its subtree down to `p_depth` levels (the tops are the first), with the rank of each
-- in category_order (see below), which sorts them depth-first: bounded by `p_depth`, its work
-- follows the categories it answers (index probes only), not the size or the depth of the tree.
create function category_forest(p_under bigint, p_offset integer, p_limit integer, p_depth integer)
returns table (
  id bigint, name text, description text, parent_id bigint, level integer,
  created_at timestamptz, updated_at timestamptz, rank integer
) language sql stable
set enable_hashjoin = off set enable_mergejoin = off set enable_seqscan = off
as $$
  with recursive page as (
    select c.id, c.name_key from categories c
    where (p_under is null and c.parent_id is null) or c.parent_id = p_under
    order by c.name_key limit p_limit offset p_offset
  ), tree(id, d) as (
    select id, 1 from page
    union all
    select c.id, tree.d + 1 from categories c join tree on c.parent_id = tree.id
    where tree.d < p_depth
  )
  select c.id, c.name, c.description, c.parent_id, c.level, c.created_at, c.updated_at, o.rank
  from tree join categories c on c.id = tree.id left join category_order o on o.category_id = tree.id
$$;
