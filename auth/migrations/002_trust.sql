-- Tokens issued (iat) before this time are refused by every service: set by a password change and
-- by "log out everywhere"; null when none was ever revoked. Carried by user.* events.
alter table users add column tokens_valid_after timestamptz;

-- login_failures now counts attempts (see domain/throttle.ts): one is taken before a password is
-- checked, and given back when it was right. take_attempts takes one under every key at once, or
-- none when any key is at its limit in its current window, and answers the seconds to wait (0:
-- taken). One statement for the caller, atomic: the keys' rows are locked in key order (no
-- deadlock between overlapping key sets), so parallel attempts cannot all pass a check made
-- before any of them is counted.
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
    insert into login_failures (key, failures, window_start) values (p_keys[i], 0, p_now) on conflict (key) do nothing;
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
    window_start = case when f.window_start + make_interval(secs => k.win) <= p_now then p_now else f.window_start end
  from unnest(p_keys, p_windows) as k(key, win)
  where f.key = k.key;
  return 0;
end
$$;
