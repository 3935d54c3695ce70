-- Known addresses: where an account logged in successfully, and when last. A login from an
-- address known for its account within KNOWN_ADDRESS_DAYS (domain/throttle.ts) is held only to
-- its own per-(account, address) limit, never to the account's limit across addresses: strangers
-- guessing from elsewhere cannot lock the owner out. Pruned by the auth housekeeping job.
create table known_addresses (
  account text not null,
  address text not null,
  last_success timestamptz not null,
  primary key (account, address)
);
create index known_addresses_last_success on known_addresses (last_success);

-- Each counter now remembers its window, so housekeeping can delete rows whose window has ended
-- (rows from before this migration are given the longest window a setting allows, a day).
alter table login_failures add column window_seconds integer not null default 86400;
create index login_failures_window_start on login_failures (window_start);

create or replace function take_attempts(p_keys text[], p_max integer[], p_windows integer[], p_now timestamptz)
returns integer
language plpgsql
as $$
declare
  i integer;
  w login_failures%rowtype;
  ends timestamptz;
  wait integer := 0;
begin
  for i in select k.ord from unnest(p_keys) with ordinality as k(key, ord) order by k.key loop
    insert into login_failures (key, failures, window_start, window_seconds) values (p_keys[i], 0, p_now, p_windows[i])
    on conflict (key) do nothing;
    select * into w from login_failures where key = p_keys[i] for update;
    ends := w.window_start + make_interval(secs => p_windows[i]);
    if ends > p_now and w.failures >= p_max[i] then
      wait := greatest(wait, ceil(extract(epoch from ends - p_now))::integer);
    end if;
  end loop;
  if wait > 0 then
    return wait;
  end if;
  update login_failures f set
    failures = case when f.window_start + make_interval(secs => k.win) <= p_now then 1 else f.failures + 1 end,
    window_start = case when f.window_start + make_interval(secs => k.win) <= p_now then p_now else f.window_start end,
    window_seconds = k.win
  from unnest(p_keys, p_windows) as k(key, win)
  where f.key = k.key;
  return 0;
end
$$;
