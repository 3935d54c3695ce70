-- The replica of the catalog's products, fed by product.* events (never by HTTP calls).
-- A deleted product stays as a tombstone (deleted, no fields) so no late event brings it back.
create table products (
  id bigint primary key,
  name text,
  price numeric(12,2),
  stock integer,
  category_id bigint,
  version integer not null check (version >= 1),
  deleted boolean not null default false,
  check (deleted or (name is not null and price is not null and stock is not null and category_id is not null))
);

create table orders (
  id bigserial primary key,
  -- From the token; the user lives in auth, so no foreign key.
  user_id uuid not null,
  status text not null
    check (status in ('pending', 'confirmed', 'paid', 'shipped', 'delivered', 'rejected', 'cancelled')),
  -- Up to 100 lines of 1000 units below 10^10 each: wider than a price's numeric(12,2).
  total numeric(18,2) not null check (total >= 0),
  total_quantity integer not null check (total_quantity >= 1),
  shipping_address text check (length(shipping_address) <= 1000),
  created_at timestamptz not null,
  updated_at timestamptz not null
);
-- A user's list, newest first (GET /orders for a USER, and the admin's user_id filter), and the
-- lookup of a deleted user's open orders.
create index orders_user_created on orders (user_id, created_at desc, id desc);
-- The admin's list of everything, newest first.
create index orders_created on orders (created_at desc, id desc);
-- The status filter, newest first within a status.
create index orders_status_created on orders (status, created_at desc, id desc);

create table order_items (
  order_id bigint not null references orders (id) on delete cascade,
  line_no smallint not null,
  product_id bigint not null,
  -- Snapshots taken when the line was written: later catalog changes do not alter the order.
  name text not null,
  unit_price numeric(12,2) not null check (unit_price > 0),
  quantity integer not null check (quantity between 1 and 1000),
  line_total numeric(18,2) not null,
  primary key (order_id, line_no),
  -- Lines for one product are merged, so a product appears once per order.
  unique (order_id, product_id)
);

-- Every status change (creation included, from null), by whom: a user id or 'system'.
create table order_status_history (
  id bigserial primary key,
  order_id bigint not null references orders (id) on delete cascade,
  from_status text,
  to_status text not null,
  actor text not null check (actor in ('owner', 'admin', 'system')),
  changed_by text not null,
  reason text,
  product_ids jsonb,
  changed_at timestamptz not null
);
-- An order's history, in order; also serves the cascade on delete.
create index order_status_history_order on order_status_history (order_id, id);

-- Idempotency-Key of order creation, per user. The primary key is the unique constraint that
-- makes concurrent repeats create one order: the second insert waits for the first to commit.
create table idempotency_keys (
  user_id uuid not null,
  key text not null check (length(key) between 1 and 255),
  -- sha256 of the canonical JSON of the validated request body.
  fingerprint text not null,
  -- Null until the order is created in the same transaction, and again once it is deleted.
  order_id bigint references orders (id) on delete set null,
  created_at timestamptz not null,
  primary key (user_id, key)
);
-- For the "on delete set null" when an order is deleted.
create index idempotency_keys_order on idempotency_keys (order_id) where order_id is not null;

-- What the catalog was asked to hold, or holds, per order (see src/domain/reservation.ts).
-- No foreign key: the row outlives a deleted order, so a late stock.reserved can be released.
create table reservations (
  order_id bigint primary key,
  state text not null check (state in ('requested', 'reserved')),
  items jsonb not null,
  updated_at timestamptz not null default now()
);
