import { type Result, err, ok } from '@shop/kernel/result'
import type { Page } from '@shop/kernel/app'
import type { Q, Sql, TxSql } from '@shop/platform/postgres/connect'
import { pgError, transact } from '@shop/platform/postgres/transact'
import type { Conflict } from '../../domain/errors.ts'
import type { User } from '../../domain/user.ts'
import type { AuthStore, LoginThrottle, Users } from '../../ports.ts'
import { type UserRow, toUser, userColumns, userRow } from './rows.ts'

const conflictOf = (constraint: string | undefined, user: User): Conflict | undefined =>
  constraint === 'users_username_lower'
    ? { type: 'UsernameTaken', username: user.username }
    : constraint === 'users_email'
      ? { type: 'EmailTaken', email: user.email }
      : undefined

function postgresUsers(sql: Q): Users {
  const columns = userColumns.of(sql)
  const one = (rows: UserRow[]) => (rows[0] ? toUser(rows[0]) : undefined)
  return {
    async byId(id, lock = false) {
      return one(await sql<UserRow[]>`select ${columns} from users where id = ${id} ${lock ? sql`for update` : sql``}`)
    },
    async byUsername(username) {
      return one(await sql<UserRow[]>`select ${columns} from users where lower(username) = lower(${username})`)
    },
    async byEmail(email) {
      return one(await sql<UserRow[]>`select ${columns} from users where email = lower(${email})`)
    },
    async insert(u): Promise<Result<User, Conflict>> {
      // "on conflict do nothing" keeps the transaction usable; we then tell which value was taken.
      const rows = await sql<UserRow[]>`
        insert into users ${sql(userRow(u))}
        on conflict do nothing
        returning ${columns}`
      if (rows[0]) return ok(toUser(rows[0]))
      const [taken] = await sql<{ username: boolean }[]>`
        select lower(username) = lower(${u.username}) as username from users
        where lower(username) = lower(${u.username}) or email = ${u.email} or id = ${u.id}
        order by 1 desc limit 1`
      return err(
        taken && !taken.username
          ? { type: 'EmailTaken', email: u.email }
          : { type: 'UsernameTaken', username: u.username },
      )
    },
    async update(u): Promise<Result<User, Conflict>> {
      // id and created_at never change.
      const { id: _id, created_at: _created, ...changed } = userRow(u)
      const run = async (q: Q) =>
        q<UserRow[]>`update users set ${q(changed)} where id = ${u.id} returning ${userColumns.of(q)}`
      try {
        // Inside a transaction a savepoint keeps a unique violation from aborting it.
        const rows = 'savepoint' in sql ? await (sql as TxSql).savepoint((sp) => run(sp)) : await run(sql)
        return rows[0] ? ok(toUser(rows[0])) : ok(u)
      } catch (e) {
        const { code, constraint } = pgError(e)
        const conflict = code === '23505' ? conflictOf(constraint, u) : undefined
        if (conflict) return err(conflict)
        throw e
      }
    },
    async remove(id) {
      const rows = await sql`delete from users where id = ${id} returning id`
      return rows.length > 0
    },
    async list(page: Page) {
      const [items, [count]] = await Promise.all([
        sql<UserRow[]>`select ${columns} from users order by created_at, id limit ${page.limit} offset ${page.offset}`,
        sql<{ n: number }[]>`select count(*)::int as n from users`,
      ])
      return { items: items.map(toUser), total: count?.n ?? 0 }
    },
  }
}

function postgresThrottle(sql: Sql): LoginThrottle {
  return {
    async take(limits, now) {
      // One statement: take_attempts (migration 002) locks the counters in key order, checks every
      // one, and counts the attempt under all of them or none.
      const [row] = await sql<{ wait: number }[]>`
        select take_attempts(
          ${sql.array(limits.map((l) => l.key))}::text[],
          ${sql.array(limits.map((l) => l.max))}::integer[],
          ${sql.array(limits.map((l) => l.windowSeconds))}::integer[],
          ${now}) as wait`
      return row?.wait ?? 0
    },
    async giveBack(limits, forget, now) {
      if (limits.length) {
        await sql`
          update login_failures f set failures = greatest(f.failures - 1, 0)
          from unnest(${sql.array(limits.map((l) => l.key))}::text[], ${sql.array(
            limits.map((l) => l.windowSeconds),
          )}::integer[]) as k(key, win)
          where f.key = k.key and f.window_start + make_interval(secs => k.win) > ${now}`
      }
      if (forget.length) await sql`delete from login_failures where key in ${sql(forget as string[])}`
    },
    async isKnown(account, address, since) {
      const rows = await sql`
        select 1 from known_addresses where account = ${account} and address = ${address} and last_success >= ${since}`
      return rows.length > 0
    },
    async remember(account, address, now) {
      await sql`
        insert into known_addresses (account, address, last_success) values (${account}, ${address}, ${now})
        on conflict (account, address) do update
        set last_success = greatest(known_addresses.last_success, excluded.last_success)`
    },
    async prune(now, knownSince) {
      const ended = await sql`
        delete from login_failures where window_start + make_interval(secs => window_seconds) <= ${now}`
      const stale = await sql`delete from known_addresses where last_success < ${knownSince}`
      return ended.count + stale.count
    },
  }
}

export function postgresAuthStore(sql: Sql, opts: { onEvents?: () => void } = {}): AuthStore {
  return {
    users: postgresUsers(sql),
    throttle: postgresThrottle(sql),
    transact: (work) =>
      transact(
        sql,
        { source: 'auth', ...(opts.onEvents ? { onEvents: opts.onEvents } : {}) },
        (tx, events) => ({ users: postgresUsers(tx), events }),
        work,
      ),
  }
}
