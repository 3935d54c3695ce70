-- What this service knows of users, from auth's user.* events: enough to reject the token of a
-- deleted user and to use a role lowered after the token was issued. Deleted users stay as
-- tombstones (deleted = true), so a late user.created cannot bring them back.
create table if not exists user_replica (
  id uuid primary key,
  username text,
  role text check (role in ('USER', 'ADMIN')),
  version integer not null,
  deleted boolean not null default false,
  updated_at timestamptz not null default now()
);
