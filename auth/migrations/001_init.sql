-- Users: the source of truth for identities and roles.
create table users (
  id uuid primary key,
  username text not null check (username ~ '^[A-Za-z0-9_.-]{3,32}$'),
  email text not null check (email = lower(email)),
  full_name text,
  role text not null check (role in ('USER', 'ADMIN')),
  password_hash text not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  version integer not null
);
-- Usernames are unique regardless of case, and looked up by lower(username) at login.
create unique index users_username_lower on users (lower(username));
-- Emails are stored lower-case, so a plain unique index is case-insensitive uniqueness.
create unique index users_email on users (email);
-- The admin list pages by (created_at, id).
create index users_created on users (created_at, id);

-- Failed-login windows, per username and per client address (see domain/throttle.ts).
create table login_failures (
  key text primary key,
  failures integer not null,
  window_start timestamptz not null
);
