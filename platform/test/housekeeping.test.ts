import { afterAll, describe, expect, test } from 'bun:test'
import type { Logger } from '../src/log.ts'
import { silentLogger } from '../src/log.ts'
import type { Sql } from '../src/postgres/connect.ts'
import { startHousekeeping } from '../src/postgres/housekeeping.ts'
import { adapterDatabases, sharedServerDb } from '../testing/databases.ts'
import { until } from '../testing/until.ts'

const HOUR = 3600 * 1000

/** One inbox row processed `agoMs` ago. */
const processed = (sql: Sql, agoMs: number) =>
  sql`insert into inbox (event_id, type, processed_at) values (${crypto.randomUUID()}, 'user.deleted',
    ${new Date(Date.now() - agoMs)})`

/** One outbox row written `agoMs` ago, sent then (or never). */
const written = (sql: Sql, agoMs: number, sent: boolean) => {
  const at = new Date(Date.now() - agoMs)
  return sql`insert into outbox (id, type, envelope, sent_at) values (${crypto.randomUUID()}, 'user.deleted',
    ${sql.json({})}, ${sent ? at : null})`
}

const count = async (sql: Sql, table: 'inbox' | 'outbox') =>
  (await sql<{ n: number }[]>`select count(*)::int as n from ${sql(table)}`)[0]!.n

for (const db of await adapterDatabases('housekeeping', [])) {
  describe(`messaging housekeeping (${db.kind})`, () => {
    // The shared server's connections are counted for every test run on the machine: give these back.
    if (db.kind === 'server') afterAll(async () => (await sharedServerDb('housekeeping')).close())
    test('deletes inbox ids past their window and published outbox rows past theirs; keeps the rest', async () => {
      const sql = await db.open()
      await processed(sql, 8 * 24 * HOUR) // past the week: gone
      await processed(sql, 6 * 24 * HOUR) // inside the week: kept
      await written(sql, 25 * HOUR, true) // published over a day ago: gone
      await written(sql, 23 * HOUR, true) // published within the day: kept
      await written(sql, 30 * 24 * HOUR, false) // never published: kept, whatever its age
      const housekeeping = startHousekeeping(sql, silentLogger, { everyMs: 60_000 })
      await housekeeping.runOnce()
      await housekeeping.stop()
      expect(await count(sql, 'inbox')).toBe(1)
      expect(await count(sql, 'outbox')).toBe(2)
      expect((await sql<{ n: number }[]>`select count(*)::int as n from outbox where sent_at is null`)[0]!.n).toBe(1)
    })

    test('runs at start and again every period, with the windows it is given', async () => {
      const sql = await db.open()
      await processed(sql, 2 * HOUR)
      const housekeeping = startHousekeeping(sql, silentLogger, { everyMs: 20, inboxHours: 1 })
      await until(async () => (await count(sql, 'inbox')) === 0)
      await processed(sql, 2 * HOUR)
      await processed(sql, 0)
      await until(async () => (await count(sql, 'inbox')) === 1)
      await housekeeping.stop()
      await processed(sql, 2 * HOUR)
      await Bun.sleep(100)
      expect(await count(sql, 'inbox')).toBe(2) // stopped: nothing more is pruned
    })
  })
}

test('a failing run (database unreachable) is logged and retried at the next tick, never thrown', async () => {
  const warnings: string[] = []
  const log: Logger = { ...silentLogger, warn: (msg) => void warnings.push(msg), child: () => log }
  let calls = 0
  const down = (() => {
    calls++
    return Promise.reject(Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' }))
  }) as unknown as Sql
  const housekeeping = startHousekeeping(down, log, { everyMs: 20 })
  await until(async () => calls >= 3)
  await housekeeping.runOnce()
  await housekeeping.stop()
  expect(warnings.length).toBeGreaterThanOrEqual(3)
  expect(new Set(warnings)).toEqual(new Set(['housekeeping failed; will retry']))
})
