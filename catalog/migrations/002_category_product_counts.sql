-- How many products each category holds directly, kept exact by triggers in the same
-- transaction as every product insert, delete and move between categories. The total of a
-- subtree listing (X-Total-Count of GET /products?category_id=) is then a sum over the
-- subtree's categories, one index probe each, instead of a count of every product below: for a
-- department of ~1,900 categories and ~19,000 products that is about 0.2 ms instead of 5 ms of
-- the listing statement (see adapters/postgres/products.ts and bench/REPORT.md).
-- A category without products may have no row, or a row at 0.
create table category_product_counts (
  category_id bigint primary key references categories (id) on delete cascade,
  products bigint not null check (products >= 0)
);
insert into category_product_counts (category_id, products)
select category_id, count(*) from products group by category_id;

-- Statement-level with transition tables: a bulk insert or delete touches each category's row
-- once, in category order (so two bulk writers lock the rows in the same order).
create function category_product_counts_insert() returns trigger language plpgsql as $$
begin
  insert into category_product_counts as c (category_id, products)
  select category_id, count(*) from inserted_products group by category_id order by category_id
  on conflict (category_id) do update set products = c.products + excluded.products;
  return null;
end
$$;

create function category_product_counts_delete() returns trigger language plpgsql as $$
begin
  update category_product_counts c set products = c.products - d.n
  from (select category_id, count(*) as n from deleted_products group by category_id) d
  where c.category_id = d.category_id;
  return null;
end
$$;

-- Row-level, and only when category_id really changes: stock updates (the hot path) never
-- set category_id, so they never fire it.
create function category_product_counts_move() returns trigger language plpgsql as $$
begin
  update category_product_counts set products = products - 1 where category_id = old.category_id;
  insert into category_product_counts as c (category_id, products) values (new.category_id, 1)
  on conflict (category_id) do update set products = c.products + 1;
  return null;
end
$$;

create trigger products_count_insert after insert on products
  referencing new table as inserted_products for each statement execute function category_product_counts_insert();
create trigger products_count_delete after delete on products
  referencing old table as deleted_products for each statement execute function category_product_counts_delete();
create trigger products_count_move after update of category_id on products
  for each row when (old.category_id is distinct from new.category_id) execute function category_product_counts_move();

-- Emptying products (a maintenance truncate) empties the counts with it.
create function category_product_counts_truncate() returns trigger language plpgsql as $$
begin
  delete from category_product_counts;
  return null;
end
$$;
create trigger products_count_truncate after truncate on products
  for each statement execute function category_product_counts_truncate();
