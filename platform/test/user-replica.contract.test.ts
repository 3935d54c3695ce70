import { type UserEnvelope, userDeleted, userEvent } from '../testing/fixtures.ts'
import { beforeAll, describe, expect, test } from 'bun:test'
import { makeEnvelope } from '@shop/kernel/events'
import { memoryUserReplica } from '../src/memory/user-replica.ts'
import { USER_REPLICA_MIGRATIONS } from '../src/postgres/migrate.ts'
import { cachedPostgresUserReplica, postgresUserReplica, type UserReplica } from '../src/postgres/user-replica.ts'
import { silentLogger } from '../src/log.ts'
import { adapterDatabases } from '../testing/databases.ts'

const ev = userEvent
const del = userDeleted

function contract(name: string, make: () => Promise<UserReplica>) {
  describe(`user replica contract: ${name}`, () => {
    let r: UserReplica
    beforeAll(async () => {
      r = await make()
    })
    test('unknown users are undefined (the token is trusted as issued)', async () => {
      expect(await r.lookup(crypto.randomUUID())).toBeUndefined()
    })
    test('created then updated: the newest role and username', async () => {
      const id = crypto.randomUUID()
      expect(await r.apply(ev('user.created', id, 1))).toBe(true)
      expect(await r.apply(ev('user.updated', id, 2, 'ADMIN', 'bobby'))).toBe(true)
      expect(await r.lookup(id)).toEqual({ deleted: false, role: 'ADMIN', username: 'bobby' })
    })
    test('a duplicate or an older event changes nothing', async () => {
      const id = crypto.randomUUID()
      await r.apply(ev('user.created', id, 1))
      await r.apply(ev('user.updated', id, 3, 'ADMIN'))
      expect(await r.apply(ev('user.updated', id, 3, 'USER'))).toBe(false)
      expect(await r.apply(ev('user.updated', id, 2, 'USER'))).toBe(false)
      expect((await r.lookup(id)) as { role: string }).toMatchObject({ role: 'ADMIN' })
    })
    test('out of order: updated before created converges to the newest', async () => {
      const id = crypto.randomUUID()
      await r.apply(ev('user.updated', id, 2, 'ADMIN'))
      expect(await r.apply(ev('user.created', id, 1, 'USER'))).toBe(false)
      expect((await r.lookup(id)) as { role: string }).toMatchObject({ role: 'ADMIN' })
    })
    test('deleted leaves a tombstone that a late created or updated cannot undo', async () => {
      const id = crypto.randomUUID()
      await r.apply(ev('user.created', id, 1))
      expect(await r.apply(del(id, 2))).toBe(true)
      expect(await r.lookup(id)).toEqual({ deleted: true })
      expect(await r.apply(ev('user.created', id, 1))).toBe(false)
      expect(await r.apply(ev('user.updated', id, 2))).toBe(false)
      expect(await r.lookup(id)).toEqual({ deleted: true })
      // deleted arriving first
      const other = crypto.randomUUID()
      await r.apply(del(other, 5))
      await r.apply(ev('user.created', other, 1))
      expect(await r.lookup(other)).toEqual({ deleted: true })
    })
    test("the token cut-off (tokens_valid_after) is the newest event's; a deletion keeps the last one", async () => {
      const id = crypto.randomUUID()
      const cutoff = '2026-11-28T12:00:01.000Z'
      const withCutoff = (version: number, at: string | null) =>
        makeEnvelope(
          'auth',
          {
            type: 'user.updated',
            data: { id, username: 'bob', email: 'bob@example.com', role: 'USER', version, tokens_valid_after: at },
          },
          null,
          crypto.randomUUID(),
          new Date(),
        ) as UserEnvelope
      await r.apply(ev('user.created', id, 1))
      expect(await r.lookup(id)).toEqual({ deleted: false, role: 'USER', username: 'bob' })
      expect(await r.apply(withCutoff(2, cutoff))).toBe(true)
      expect(await r.lookup(id)).toEqual({
        deleted: false,
        role: 'USER',
        username: 'bob',
        tokensValidAfter: Date.parse(cutoff),
      })
      // an older event cannot take it back
      expect(await r.apply(withCutoff(1, null))).toBe(false)
      expect((await r.lookup(id)) as { tokensValidAfter?: number }).toMatchObject({
        tokensValidAfter: Date.parse(cutoff),
      })
      const later = '2026-11-28T12:05:00.000Z'
      expect(await r.apply(withCutoff(3, later))).toBe(true)
      expect((await r.lookup(id)) as { tokensValidAfter?: number }).toMatchObject({
        tokensValidAfter: Date.parse(later),
      })
      expect(await r.apply(del(id, 4))).toBe(true)
      expect(await r.lookup(id)).toEqual({ deleted: true })
    })
    test('concurrent deliveries of many versions end at the highest', async () => {
      const id = crypto.randomUUID()
      const versions = Array.from({ length: 30 }, (_, i) => i + 1).sort(() => Math.random() - 0.5)
      await Promise.all(
        versions.map((v) => r.apply(ev('user.updated', id, v, v === 30 ? 'ADMIN' : 'USER', `name${v}`))),
      )
      expect(await r.lookup(id)).toEqual({ deleted: false, role: 'ADMIN', username: 'name30' })
    })
  })
}

contract('memory', async () => memoryUserReplica())
for (const db of await adapterDatabases('replica', [USER_REPLICA_MIGRATIONS])) {
  contract(`postgres (${db.kind})`, async () => postgresUserReplica(await db.open()))
  // The same contract through the lookup cache the services use.
  contract(`postgres (${db.kind}), cached`, async () =>
    cachedPostgresUserReplica({ sql: await db.open(), embedded: db.kind === 'pglite' }, silentLogger),
  )
}
