import { describe, expect, test, beforeAll } from 'bun:test'
import { adapterDatabases } from '@shop/platform/testing/databases'
import { err, ok } from '@shop/kernel/result'
import { MIGRATIONS } from '../src/main.ts'
import { memoryAuthStore } from '../src/adapters/memory/store.ts'
import { postgresAuthStore } from '../src/adapters/postgres/store.ts'
import { newUser, type User } from '../src/domain/user.ts'
import type { AuthStore } from '../src/ports.ts'

/** One suite for the user store, run over every adapter: each must keep the same contract. */
function contract(name: string, make: () => Promise<AuthStore>) {
  describe(`user store contract: ${name}`, () => {
    let store: AuthStore
    beforeAll(async () => {
      store = await make()
    })
    let n = 0
    const user = (over: Partial<User> = {}): User => {
      n++
      return {
        ...newUser({
          id: crypto.randomUUID(),
          username: `user${n}`,
          email: `user${n}@example.com`,
          fullName: null,
          role: 'USER',
          passwordHash: 'hash',
          now: new Date(Date.UTC(2026, 0, 1, 0, 0, n)),
        }),
        ...over,
      }
    }
    const insert = (u: User) => store.transact((tx) => tx.users.insert(u))

    test('insert then read by id, username (any case) and email (any case)', async () => {
      const u = user({ username: 'MixedCase' })
      expect((await insert(u)).ok).toBe(true)
      expect((await store.users.byId(u.id))?.username).toBe('MixedCase')
      expect((await store.users.byUsername('mixedcase'))?.id).toBe(u.id)
      expect((await store.users.byUsername('MIXEDCASE'))?.id).toBe(u.id)
      expect((await store.users.byEmail(u.email.toUpperCase()))?.id).toBe(u.id)
      expect(await store.users.byId(crypto.randomUUID())).toBeUndefined()
    })

    test('fields round-trip exactly', async () => {
      const u = user({ fullName: 'Zoë Ünïcode', role: 'ADMIN' })
      await insert(u)
      const back = await store.users.byId(u.id)
      expect(back).toEqual(u)
    })

    test('username taken regardless of case; email taken', async () => {
      const a = user({ username: 'Taken' })
      await insert(a)
      const r1 = await insert(user({ username: 'tAKEN' }))
      expect(r1).toEqual(err({ type: 'UsernameTaken', username: 'tAKEN' }))
      const r2 = await insert(user({ email: a.email }))
      expect(r2.ok || r2.error.type).toBe('EmailTaken')
    })

    test('update writes fields; a conflicting update is refused and changes nothing', async () => {
      const a = user()
      const b = user()
      await insert(a)
      await insert(b)
      const renamed = { ...a, username: 'renamed_' + n, version: 2, updatedAt: new Date(Date.UTC(2026, 1, 1)) }
      expect(await store.transact((tx) => tx.users.update(renamed))).toEqual(ok(renamed))
      expect(await store.users.byId(a.id)).toEqual(renamed)
      const clash = await store.transact((tx) => tx.users.update({ ...b, username: renamed.username.toUpperCase() }))
      expect(clash.ok).toBe(false)
      const clashEmail = await store.transact((tx) => tx.users.update({ ...b, email: a.email }))
      expect(clashEmail.ok || clashEmail.error.type).toBe('EmailTaken')
      expect(await store.users.byId(b.id)).toEqual(b)
    })

    test('a transaction that returns an error rolls back everything it did', async () => {
      const a = user()
      const r = await store.transact(async (tx) => {
        await tx.users.insert(a)
        await tx.events.add(
          {
            type: 'user.created',
            data: {
              id: a.id,
              username: a.username,
              email: a.email,
              role: 'USER',
              version: 1,
              tokens_valid_after: null,
            },
          },
          null,
        )
        return err('nope')
      })
      expect(r).toEqual(err('nope'))
      expect(await store.users.byId(a.id)).toBeUndefined()
    })

    test('a transaction that throws rolls back and rethrows', async () => {
      const a = user()
      // (try/catch: bun's rejects.toThrow is slow on postgres.js errors)
      const thrown = await store
        .transact(async (tx) => {
          await tx.users.insert(a)
          throw new Error('boom')
        })
        .then(
          () => undefined,
          (e: Error) => e.message,
        )
      expect(thrown).toBe('boom')
      expect(await store.users.byId(a.id)).toBeUndefined()
    })

    test('remove', async () => {
      const a = user()
      await insert(a)
      expect(await store.transact(async (tx) => ok(await tx.users.remove(a.id)))).toEqual(ok(true))
      expect(await store.users.byId(a.id)).toBeUndefined()
      expect(await store.transact(async (tx) => ok(await tx.users.remove(a.id)))).toEqual(ok(false))
      // the username is free again
      expect((await insert({ ...user(), username: a.username })).ok).toBe(true)
    })

    test('list pages oldest first with a total', async () => {
      const all = await store.users.list({ limit: 1000, offset: 0 })
      expect(all.total).toBe(all.items.length)
      const times = all.items.map((u) => u.createdAt.getTime())
      expect([...times].sort((x, y) => x - y)).toEqual(times)
      const page = await store.users.list({ limit: 2, offset: 1 })
      expect(page.items.map((u) => u.id)).toEqual(all.items.slice(1, 3).map((u) => u.id))
      expect(page.total).toBe(all.total)
    })

    test(
      'throttle: an attempt is taken from every counter or from none; ' + 'past a max, the seconds left in its window',
      async () => {
        const t0 = new Date(Date.UTC(2026, 0, 1))
        const a = { key: `a:${crypto.randomUUID()}`, max: 2, windowSeconds: 60 }
        const b = { key: `b:${crypto.randomUUID()}`, max: 3, windowSeconds: 60 }
        expect(await store.throttle.take([a, b], t0)).toBe(0)
        expect(await store.throttle.take([a, b], new Date(t0.getTime() + 1000))).toBe(0)
        // a is full: nothing is taken, not even from b
        expect(await store.throttle.take([a, b], new Date(t0.getTime() + 10_000))).toBe(50)
        expect(await store.throttle.take([b], new Date(t0.getTime() + 10_000))).toBe(0)
        expect(await store.throttle.take([b], new Date(t0.getTime() + 10_000))).toBe(50)
        // after the window a new one starts
        expect(await store.throttle.take([a], new Date(t0.getTime() + 60_000))).toBe(0)
      },
    )

    test('throttle: once a window has ended, a new one starts there: max more, then the wait', async () => {
      const t0 = new Date(Date.UTC(2026, 0, 1))
      const at = (s: number) => new Date(t0.getTime() + s * 1000)
      const a = { key: `a:${crypto.randomUUID()}`, max: 2, windowSeconds: 60 }
      expect([await store.throttle.take([a], at(0)), await store.throttle.take([a], at(1))]).toEqual([0, 0])
      expect(await store.throttle.take([a], at(10))).toBe(50)
      // the first window ended at 60 s: the next one runs from 65 s to 125 s
      expect([await store.throttle.take([a], at(65)), await store.throttle.take([a], at(70))]).toEqual([0, 0])
      expect(await store.throttle.take([a], at(80))).toBe(45)
      expect(await store.throttle.take([a], at(124))).toBe(1)
      expect(await store.throttle.take([a], at(125))).toBe(0)
    })

    test('throttle: giving back frees one attempt within the window; a forgotten counter starts afresh', async () => {
      const t0 = new Date(Date.UTC(2026, 0, 1))
      const a = { key: `a:${crypto.randomUUID()}`, max: 1, windowSeconds: 60 }
      const b = { key: `b:${crypto.randomUUID()}`, max: 1, windowSeconds: 60 }
      expect(await store.throttle.take([a, b], t0)).toBe(0)
      expect(await store.throttle.take([a], t0)).toBeGreaterThan(0)
      await store.throttle.giveBack([a], [b.key], t0)
      expect(await store.throttle.take([a], t0)).toBe(0)
      expect(await store.throttle.take([b], t0)).toBe(0)
    })

    test('known addresses: known after a success, for 30 days from the last one; per account and address', async () => {
      const t0 = new Date(Date.UTC(2026, 0, 1))
      const day = 86_400_000
      const account = `user:${crypto.randomUUID()}`
      expect(await store.throttle.isKnown(account, '192.0.2.1', new Date(t0.getTime() - 30 * day))).toBe(false)
      await store.throttle.remember(account, '192.0.2.1', t0)
      expect(await store.throttle.isKnown(account, '192.0.2.1', new Date(t0.getTime() - 30 * day))).toBe(true)
      expect(await store.throttle.isKnown(account, '192.0.2.2', new Date(t0.getTime() - 30 * day))).toBe(false)
      expect(await store.throttle.isKnown(`${account}x`, '192.0.2.1', new Date(t0.getTime() - 30 * day))).toBe(false)
      expect(await store.throttle.isKnown(account, '192.0.2.1', new Date(t0.getTime() + 1))).toBe(false)
      // a later success renews it; an earlier one (a slow request) never winds it back
      await store.throttle.remember(account, '192.0.2.1', new Date(t0.getTime() + 10 * day))
      await store.throttle.remember(account, '192.0.2.1', new Date(t0.getTime() + 5 * day))
      expect(await store.throttle.isKnown(account, '192.0.2.1', new Date(t0.getTime() + 10 * day))).toBe(true)
    })

    test('prune: counters past their window and addresses unused since the cut-off go; the rest stay', async () => {
      const t0 = new Date(Date.UTC(2027, 0, 1))
      const short = { key: `short:${crypto.randomUUID()}`, max: 1, windowSeconds: 60 }
      const long = { key: `long:${crypto.randomUUID()}`, max: 1, windowSeconds: 3600 }
      expect(await store.throttle.take([short, long], t0)).toBe(0)
      const old = `user:${crypto.randomUUID()}`
      const recent = `user:${crypto.randomUUID()}`
      await store.throttle.remember(old, '192.0.2.9', t0)
      await store.throttle.remember(recent, '192.0.2.9', new Date(t0.getTime() + 120_000))
      const later = new Date(t0.getTime() + 120_000)
      expect(await store.throttle.prune(later, new Date(t0.getTime() + 1))).toBeGreaterThanOrEqual(2)
      // short's row went (a fresh window: one attempt allowed again); long's stays full
      expect(await store.throttle.take([short], later)).toBe(0)
      expect(await store.throttle.take([long], later)).toBeGreaterThan(0)
      expect(await store.throttle.isKnown(old, '192.0.2.9', t0)).toBe(false)
      expect(await store.throttle.isKnown(recent, '192.0.2.9', t0)).toBe(true)
    })

    test('throttle: parallel takes never pass a max, and overlapping key sets do not deadlock', async () => {
      const t0 = new Date()
      const shared = { key: `s:${crypto.randomUUID()}`, max: 7, windowSeconds: 600 }
      const own = Array.from({ length: 30 }, (_, i) => ({
        key: `o:${i}:${crypto.randomUUID()}`,
        max: 5,
        windowSeconds: 600,
      }))
      const waits = await Promise.all(own.map((o, i) => store.throttle.take(i % 2 ? [shared, o] : [o, shared], t0)))
      expect(waits.filter((w) => w === 0)).toHaveLength(7)
    })
  })
}

contract('memory', async () => memoryAuthStore())
for (const db of await adapterDatabases('auth', MIGRATIONS)) {
  contract(`postgres (${db.kind})`, async () => postgresAuthStore(await db.open()))
}
