-- A stock request that goes unanswered is sent again (the same order.placed, by its id) and, after
-- ORDER_PENDING_MAX_ATTEMPTS sends, its order is rejected (app/retry-stalled.ts): each request
-- keeps the id of the event that asked and how many times it was sent; updated_at is when it
-- was last sent.
alter table reservations add column request_id uuid;
alter table reservations add column attempts integer not null default 1 check (attempts >= 1);
create index reservations_requested on reservations (updated_at) where state = 'requested';
