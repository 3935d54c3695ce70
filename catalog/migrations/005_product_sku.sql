-- A product's stock-keeping unit: optional; when set, 1 to 64 letters, digits, dots, underscores
-- or hyphens, kept as written and unique without regard to case (the service checks the same rule
-- first; these are the last line of defence, and what a plain-SQL import meets). ASCII only, so
-- lower() agrees under any collation and with the memory adapter's toLowerCase().
alter table products add column sku text check (sku ~ '^[A-Za-z0-9._-]{1,64}$');
create unique index products_sku on products (lower(sku)) where sku is not null;
