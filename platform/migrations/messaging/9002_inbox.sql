-- Idempotent consumers: the id of every event whose effect was committed, written in the same
-- transaction as the effect. A redelivered event finds its id here and changes nothing.
create table if not exists inbox (
  event_id uuid primary key,
  type text not null,
  processed_at timestamptz not null default now()
);
create index if not exists inbox_processed_at on inbox (processed_at);
