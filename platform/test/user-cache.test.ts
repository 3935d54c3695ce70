import { userDeleted, userEvent } from '../testing/fixtures.ts'
import { describe, expect, test } from 'bun:test'
import postgres from 'postgres'
import type { KnownUser } from '../src/http/auth.ts'
import { silentLogger } from '../src/log.ts'
import { USER_REPLICA_MIGRATIONS } from '../src/postgres/migrate.ts'
import { cachedPostgresUserReplica } from '../src/postgres/user-replica.ts'
import { adapterDatabases, serverUrl } from '../testing/databases.ts'
import { UserCache } from '../src/user-cache.ts'

const user = (role: 'USER' | 'ADMIN' = 'USER'): KnownUser => ({ deleted: false, role, username: 'bob' })

/** A lookup over a map that counts its reads and can be held until released. */
function source() {
  const rows = new Map<string, KnownUser>()
  let reads = 0
  let gate: Promise<void> | undefined
  return {
    rows,
    reads: () => reads,
    hold() {
      let release!: () => void
      gate = new Promise((r) => (release = r))
      return () => {
        gate = undefined
        release()
      }
    },
    lookup: async (id: string) => {
      reads++
      const value = rows.get(id)
      if (gate) await gate
      return value
    },
  }
}

describe('UserCache', () => {
  test('pass-through until enabled, then one read per user', async () => {
    const s = source()
    s.rows.set('a', user())
    const c = new UserCache(s.lookup)
    await c.lookup('a')
    await c.lookup('a')
    expect(s.reads()).toBe(2)
    c.enable()
    expect(await c.lookup('a')).toEqual(user())
    expect(await c.lookup('a')).toEqual(user())
    expect(s.reads()).toBe(3)
  })

  test('unknown users are cached as unknown, and invalidation brings the change', async () => {
    const s = source()
    const c = new UserCache(s.lookup)
    c.enable()
    expect(await c.lookup('a')).toBeUndefined()
    s.rows.set('a', user('ADMIN'))
    expect(await c.lookup('a')).toBeUndefined()
    c.invalidate('a')
    expect(await c.lookup('a')).toEqual(user('ADMIN'))
    s.rows.set('a', { deleted: true })
    c.invalidate('a')
    expect(await c.lookup('a')).toEqual({ deleted: true })
  })

  test('a read in flight during an invalidation is not stored (it may predate the change)', async () => {
    const s = source()
    s.rows.set('a', user('ADMIN'))
    const c = new UserCache(s.lookup)
    c.enable()
    const release = s.hold()
    const inFlight = c.lookup('a') // reads ADMIN, then waits
    await Bun.sleep(1)
    s.rows.set('a', { deleted: true }) // the change commits...
    c.invalidate('a') // ...and is announced while the old read is still in flight
    release()
    expect(await inFlight).toEqual(user('ADMIN'))
    expect(await c.lookup('a')).toEqual({ deleted: true })
  })

  test('bounded: the least recently used entry goes first', async () => {
    const s = source()
    for (const id of ['a', 'b', 'c']) s.rows.set(id, user())
    const c = new UserCache(s.lookup, { max: 2 })
    c.enable()
    await c.lookup('a')
    await c.lookup('b')
    await c.lookup('a') // a is now the most recent
    await c.lookup('c') // evicts b
    expect(c.size).toBe(2)
    const before = s.reads()
    await c.lookup('a')
    expect(s.reads()).toBe(before)
    await c.lookup('b')
    expect(s.reads()).toBe(before + 1)
  })

  test('entries expire after the TTL, a backstop', async () => {
    let now = 0
    const s = source()
    s.rows.set('a', user())
    const c = new UserCache(s.lookup, { ttlMs: 1000, now: () => now })
    c.enable()
    await c.lookup('a')
    now = 999
    await c.lookup('a')
    expect(s.reads()).toBe(1)
    now = 1000
    await c.lookup('a')
    expect(s.reads()).toBe(2)
  })

  test('disable empties it and reads go to the source again', async () => {
    const s = source()
    s.rows.set('a', user())
    const c = new UserCache(s.lookup)
    c.enable()
    await c.lookup('a')
    c.disable()
    expect(c.size).toBe(0)
    await c.lookup('a')
    await c.lookup('a')
    expect(s.reads()).toBe(3)
  })
})

const ev = userEvent
const del = userDeleted

for (const db of await adapterDatabases('usercache', [USER_REPLICA_MIGRATIONS])) {
  describe(`cached postgres user replica (${db.kind})`, () => {
    test('the instance that applies a change sees it at once', async () => {
      const sql = await db.open()
      const r = await cachedPostgresUserReplica({ sql, embedded: db.kind === 'pglite' }, silentLogger)
      const id = crypto.randomUUID()
      await r.apply(ev('user.created', id, 1, 'ADMIN'))
      expect(await r.lookup(id)).toEqual({ deleted: false, role: 'ADMIN', username: 'bob' })
      expect(await r.lookup(id)).toEqual({ deleted: false, role: 'ADMIN', username: 'bob' })
      await r.apply(ev('user.updated', id, 2, 'USER'))
      expect(await r.lookup(id)).toEqual({ deleted: false, role: 'USER', username: 'bob' })
      await r.apply(del(id, 3))
      expect(await r.lookup(id)).toEqual({ deleted: true })
    })

    if (db.kind === 'server') {
      test('another instance (its own pool, same database) learns of a change through NOTIFY', async () => {
        const sql = await db.open()
        const url = new URL(serverUrl())
        url.pathname = `/${sql.options.database}`
        const other = postgres(url.toString(), { max: 2, onnotice: () => {} })
        try {
          const a = await cachedPostgresUserReplica({ sql, embedded: false }, silentLogger)
          const b = await cachedPostgresUserReplica({ sql: other as never, embedded: false }, silentLogger)
          const id = crypto.randomUUID()
          await a.apply(ev('user.created', id, 1, 'ADMIN'))
          expect(await b.lookup(id)).toMatchObject({ role: 'ADMIN' }) // cached in b now
          await a.apply(del(id, 2))
          const until = Date.now() + 5000
          let seen = await b.lookup(id)
          while (!seen?.deleted && Date.now() < until) {
            await Bun.sleep(5)
            seen = await b.lookup(id)
          }
          expect(seen).toEqual({ deleted: true })
          expect(b.cache.stats.invalidations).toBeGreaterThanOrEqual(1)
        } finally {
          await other.end()
        }
      })
    }
  })
}
