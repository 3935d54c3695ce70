-- A product listing whose cost follows the page, not the subtree; moves that never deadlock; a
-- catalog-wide change counter for conditional reads.
--
-- The adjacency list (categories.parent_id) stays the source of truth of the hierarchy. What is
-- derived from it is kept right here, by triggers, in the same transaction as every write, so a
-- catalog import in plain SQL (insert into categories ..., insert into products ...) is listed
-- exactly like rows written through the service:
--   categories.path           the ids from the root down to the category itself (root first);
--   categories.level          cardinality(path) - 1 (the level the service used to compute);
--   products.category_path    the path of the product's category: "in the subtree of X" is
--                             `X = any(category_path)` on the row, or `category_path @> {X}` by
--                             the GIN index;
--   category_product_counts   per category: `products` directly in it (as before) and `subtree`,
--                             the products in it and in every category below it (the exact
--                             X-Total-Count of a subtree listing, and the figure the listing
--                             chooses its plan from);
--   catalog_version           two counters, increased once by every committed transaction that
--                             changed products or categories (ETag of listings).
--
-- Locking: department locks. Each top-level category (a department) has a transaction-scoped
-- advisory lock, keyed by its id. A write takes the locks of the departments it touches, all in
-- one call, in id order, before any row lock: exclusively for category writes (an insert under a
-- category, a rename, a delete, a move: the departments it leaves and enters), shared for product
-- writes that derive from the tree (insert, delete, change of category). So two moves that could
-- meet (crossing, nested, into each other's departments) run one after the other instead of
-- deadlocking, moves in different departments run side by side, and a product write never reads
-- a path a move is rewriting. The service's adapters call it first thing; the triggers call it
-- too, for writes in plain SQL.
create function catalog_lock_departments(categories bigint[], exclusive boolean, also bigint[] default '{}')
returns void
language plpgsql as $$
declare
  wanted bigint[];
  now_in bigint[];
  d bigint;
begin
  wanted := array(
    select distinct x
    from (select c.path[1] as x from categories c where c.id = any(categories) union select unnest(also)) s
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
  now_in := array(select distinct c.path[1] from categories c where c.id = any(categories));
  if not (now_in <@ wanted) then
    raise exception using errcode = 'serialization_failure',
      message = 'the category tree changed while its departments were being locked; retry';
  end if;
end
$$;

-- Paths and levels of what exists.
alter table categories add column path bigint[];
with recursive t as (
  select id, array[id] as path from categories where parent_id is null
  union all
  select c.id, t.path || c.id from categories c join t on c.parent_id = t.id
)
update categories c set path = t.path, level = cardinality(t.path) - 1 from t where c.id = t.id;
alter table categories alter column path set not null;
alter table categories add constraint categories_path check (cardinality(path) = level + 1 and path[level + 1] = id);

alter table products add column category_path bigint[];
update products p set category_path = c.path from categories c where c.id = p.category_id;
alter table products alter column category_path set not null;
-- "Every product of the subtree of X" for small subtrees: one posting list, whatever the depth.
create index products_category_path on products using gin (category_path);

-- Counts: a row for every category (the triggers below only ever update rows, in category order).
alter table category_product_counts add column subtree bigint not null default 0 check (subtree >= 0);
insert into category_product_counts (category_id, products) select id, 0 from categories
on conflict (category_id) do nothing;
update category_product_counts c set subtree = s.n
from (select a, count(*) as n from products, unnest(category_path) as a group by a) s
where c.category_id = s.a;

/**
 * Adds deltas to counts rows. The rows are locked in category order first: writers that meet on
 * shared ancestors (every product write of a department touches its root's row) queue in one
 * order instead of deadlocking.
 */
create function category_counts_add(ids bigint[], own bigint[], below bigint[]) returns void language plpgsql as $$
begin
  perform 1 from category_product_counts where category_id = any(ids) order by category_id for no key update;
  update category_product_counts c set products = c.products + d.own, subtree = c.subtree + d.below
  from unnest(ids, own, below) as d(id, own, below)
  where c.category_id = d.id and (d.own <> 0 or d.below <> 0);
end
$$;

-- The counts of 002 are now kept by the functions below (one set of triggers for both columns).
drop trigger products_count_insert on products;
drop trigger products_count_delete on products;
drop trigger products_count_move on products;
drop trigger products_count_truncate on products;
drop function category_product_counts_insert();
drop function category_product_counts_delete();
drop function category_product_counts_move();
drop function category_product_counts_truncate();

-- Categories: path and level from the parent as it is now (a parent inserted earlier in the same
-- statement counts: an import inserts parents before their children); a move into the category's
-- own subtree is refused here too (the service refuses it before, with a 409).
create function categories_derive() returns trigger language plpgsql as $$
declare
  above bigint[] := '{}';
begin
  if tg_op = 'INSERT' then
    perform catalog_lock_departments(array[new.parent_id], true);
  else
    perform catalog_lock_departments(array[old.id, new.parent_id], true,
      case when new.parent_id is null then array[new.id] else '{}' end);
  end if;
  if new.parent_id is not null then
    select path into above from categories where id = new.parent_id;
    if not found then
      raise foreign_key_violation using message = format(
        'category %s: its parent %s does not exist (insert parents before their children)', new.id, new.parent_id);
    end if;
    if new.id = any(above) then
      raise check_violation using message = format(
        'category %s cannot move under %s, which is in its own subtree', new.id, new.parent_id);
    end if;
  end if;
  new.path := above || new.id;
  new.level := cardinality(above);
  return new;
end
$$;
create trigger categories_insert_derive before insert on categories
  for each row execute function categories_derive();
create trigger categories_move_derive before update of parent_id on categories
  for each row when (old.parent_id is distinct from new.parent_id) execute function categories_derive();

create function categories_inserted() returns trigger language plpgsql as $$
begin
  insert into category_product_counts (category_id, products, subtree)
  select id, 0, 0 from inserted_categories order by id
  on conflict (category_id) do nothing;
  return null;
end
$$;
create trigger categories_insert_counts after insert on categories
  referencing new table as inserted_categories for each statement execute function categories_inserted();

-- A move: the subtree's paths and levels from the moved category's new place (walked down the
-- adjacency list), its products' paths, and its products' count carried from the old ancestors
-- to the new ones (ancestors both share are not touched). Descendants whose level changes get
-- the moved category's updated_at.
create function categories_moved() returns trigger language plpgsql as $$
declare
  carried bigint;
  delta record;
begin
  with recursive sub as (
    select new.id as id, new.path as path
    union all
    select k.id, sub.path || k.id from categories k join sub on k.parent_id = sub.id
  ), descendants as (
    update categories c set path = sub.path, level = cardinality(sub.path) - 1,
      updated_at = case when c.level <> cardinality(sub.path) - 1 then new.updated_at else c.updated_at end
    from sub
    where c.id = sub.id and c.id <> new.id
  )
  update products p set category_path = sub.path from sub where p.category_id = sub.id;

  select subtree into carried from category_product_counts where category_id = new.id;
  if coalesce(carried, 0) > 0 then
    select array_agg(a order by a) as ids, array_agg(0::bigint order by a) as own, array_agg(d order by a) as below
    into delta
    from (
      select a, sum(d)::bigint as d from (
        select unnest(old.path[1:cardinality(old.path) - 1]) as a, -carried as d
        union all
        select unnest(new.path[1:cardinality(new.path) - 1]), carried
      ) x group by a having sum(d) <> 0
    ) y;
    if delta.ids is not null then
      perform category_counts_add(delta.ids, delta.own, delta.below);
    end if;
  end if;
  return null;
end
$$;
create trigger categories_move_subtree after update of parent_id on categories
  for each row when (old.parent_id is distinct from new.parent_id) execute function categories_moved();

-- Products: the category's path on every insert and change of category.
create function products_derive() returns trigger language plpgsql as $$
declare
  p bigint[];
begin
  if tg_op = 'INSERT' then
    perform catalog_lock_departments(array[new.category_id], false);
  else
    perform catalog_lock_departments(array[old.category_id, new.category_id], false);
  end if;
  select path into p from categories where id = new.category_id;
  if not found then
    raise foreign_key_violation using
      message = format('product %s: category %s does not exist', new.id, new.category_id);
  end if;
  new.category_path := p;
  return new;
end
$$;
create trigger products_insert_derive before insert on products
  for each row execute function products_derive();
create trigger products_recategorize_derive before update of category_id on products
  for each row when (old.category_id is distinct from new.category_id) execute function products_derive();

-- Counts. Inserts and deletes: statement-level (a bulk load touches each category's row once).
-- An insert only adds: one statement, its rows taken in category order.
create function products_counts_inserted() returns trigger language plpgsql as $$
begin
  -- (the departments were locked row by row, by products_derive)
  insert into category_product_counts as c (category_id, products, subtree)
  select a, sum((a = i.category_id)::int), count(*)
  from inserted_products i, unnest(i.category_path) as a
  group by a order by a
  on conflict (category_id) do update
  set products = c.products + excluded.products, subtree = c.subtree + excluded.subtree;
  return null;
end
$$;
create trigger products_counts_insert after insert on products
  referencing new table as inserted_products for each statement execute function products_counts_inserted();

create function products_counts_deleted() returns trigger language plpgsql as $$
declare
  delta record;
begin
  perform catalog_lock_departments(array(select distinct category_id from deleted_products), false);
  select array_agg(a order by a) as ids, array_agg(own order by a) as own, array_agg(below order by a) as below
  into delta
  from (
    select a, -sum((a = d.category_id)::int)::bigint as own, -count(*)::bigint as below
    from deleted_products d, unnest(d.category_path) as a group by a
  ) x;
  if delta.ids is not null then
    perform category_counts_add(delta.ids, delta.own, delta.below);
  end if;
  return null;
end
$$;
create trigger products_counts_delete after delete on products
  referencing old table as deleted_products for each statement execute function products_counts_deleted();

-- A change of category: row-level, and only when category_id really changes (stock updates, the
-- hot path, never set it). Ancestors of both places are not touched.
create function products_counts_recategorized() returns trigger language plpgsql as $$
declare
  delta record;
begin
  select array_agg(a order by a) as ids, array_agg(own order by a) as own, array_agg(below order by a) as below
  into delta
  from (
    select a, sum(own)::bigint as own, sum(below)::bigint as below from (
      select a, -(a = old.category_id)::int as own, -1 as below from unnest(old.category_path) as a
      union all
      select a, (a = new.category_id)::int, 1 from unnest(new.category_path) as a
    ) x group by a having sum(own) <> 0 or sum(below) <> 0
  ) y;
  if delta.ids is not null then
    perform category_counts_add(delta.ids, delta.own, delta.below);
  end if;
  return null;
end
$$;
create trigger products_counts_recategorize after update of category_id on products
  for each row when (old.category_id is distinct from new.category_id) execute function products_counts_recategorized();

create function products_counts_truncated() returns trigger language plpgsql as $$
begin
  update category_product_counts set products = 0, subtree = 0 where products <> 0 or subtree <> 0;
  return null;
end
$$;
create trigger products_counts_truncate after truncate on products
  for each statement execute function products_counts_truncated();

-- The change counters. Bumped once per transaction and table, by a deferred trigger, that is at
-- commit: the row is held only while the transaction commits, after every other lock it takes,
-- so it neither serializes the work of concurrent writers nor takes part in a deadlock.
-- Readers that see a counter value see every change committed up to it (one atomic commit).
create table catalog_version (
  singleton boolean primary key default true check (singleton),
  products bigint not null default 0,
  categories bigint not null default 0
);
insert into catalog_version default values;

create function catalog_version_bump() returns trigger language plpgsql as $$
declare
  flag text := 'shop.catalog_changed_' || tg_table_name;
begin
  if current_setting(flag, true) = 'y' then
    return null;
  end if;
  perform set_config(flag, 'y', true);
  if tg_table_name = 'products' then
    update catalog_version set products = products + 1;
  else
    update catalog_version set categories = categories + 1;
  end if;
  return null;
end
$$;
create constraint trigger products_version_write after insert or delete on products
  deferrable initially deferred for each row execute function catalog_version_bump();
-- A path rewritten by a move changes no product's representation (the move bumps categories).
create constraint trigger products_version_update after update on products
  deferrable initially deferred for each row
  when (old.category_path is not distinct from new.category_path or old.category_id is distinct from new.category_id)
  execute function catalog_version_bump();
create trigger products_version_truncate after truncate on products
  for each statement execute function catalog_version_bump();
create constraint trigger categories_version after insert or update or delete on categories
  deferrable initially deferred for each row execute function catalog_version_bump();
