-- Transactional outbox (shared by every publishing service; see platform/src/postgres/transact.ts and relay.ts).
-- A change and the events it causes are inserted in one transaction; the relay publishes rows in
-- seq order and marks them sent.
create table if not exists outbox (
  seq bigserial primary key,
  id uuid not null unique,
  type text not null,
  envelope jsonb not null,
  created_at timestamptz not null default now(),
  attempts integer not null default 0,
  last_error text,
  sent_at timestamptz
);
-- The relay's claim query scans only unsent rows, in order: a partial index keeps that cheap
-- however many sent rows accumulate.
create index if not exists outbox_unsent on outbox (seq) where sent_at is null;
-- Sent rows are pruned by age.
create index if not exists outbox_sent_at on outbox (sent_at) where sent_at is not null;
