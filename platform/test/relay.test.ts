import { describe, expect, test } from 'bun:test'
import { MemoryBus } from '../src/bus/memory.ts'
import type { Envelope } from '@shop/kernel/events'
import { silentLogger } from '../src/log.ts'
import { OutboxRelay } from '../src/postgres/relay.ts'
import { transact } from '../src/postgres/transact.ts'
import { adapterDatabases, sharedServerDb, useServer, freshSchema } from '../testing/databases.ts'
import { MESSAGING_MIGRATIONS } from '../src/postgres/migrate.ts'
import { until } from '../testing/until.ts'
import { TEST_EVENT_KEYS as keys } from '../testing/event-keys.ts'
import { FlakyBus, writeEvents } from '../testing/relay.ts'

const signer = keys.signers.auth

for (const db of await adapterDatabases('relay', [])) {
  describe(`outbox relay (${db.kind})`, () => {
    /** A fresh database, a bus (down when asked) and a started relay on them. */
    const started = async (
      options: Omit<ConstructorParameters<typeof OutboxRelay>[3], 'signer'>,
      o: { busDown?: boolean } = {},
    ) => {
      const sql = await db.open()
      const bus = new FlakyBus()
      bus.down = o.busDown ?? false
      const relay = new OutboxRelay(sql, bus, silentLogger, { ...options, signer })
      relay.start()
      return { sql, bus, relay }
    }
    /**
     * A relay started with the bus down and `n` events written: once it has failed `failures` times, `whileDown`
     * runs; then the bus is back, and all `n` are published (within `ms`) before the relay stops.
     */
    const outage = async (
      options: Parameters<typeof started>[0],
      n: number,
      failures: number,
      whileDown: (s: Awaited<ReturnType<typeof started>>) => Promise<void> = async () => {},
      ms?: number,
    ) => {
      const s = await started(options, { busDown: true })
      await writeEvents(s.sql, n, () => s.relay.wake())
      await until(() => s.relay.stats.failures >= failures)
      await whileDown(s)
      s.bus.down = false
      await until(() => s.bus.got.length === n, ms)
      await s.relay.stop()
      return s
    }

    // How soon: bench/timings/relay.ts.
    test('a commit wakes the relay: the event is published long before the next poll (10 minutes on)', async () => {
      const { sql, bus, relay } = await started({ pollMs: 600_000 })
      await writeEvents(sql, 1, () => relay.wake())
      await until(() => bus.got.length === 1, 30_000)
      // the row is marked published right after the bus took it
      await until(async () => (await relay.backlog()) === 0)
      await relay.stop()
    })

    test('a rolled-back transaction publishes nothing', async () => {
      const { sql, bus, relay } = await started({ pollMs: 60_000 })
      await transact(
        sql,
        { source: 'auth' },
        (_tx, e) => e,
        async (events) => {
          await events.add({ type: 'user.deleted', data: { id: crypto.randomUUID(), version: 1 } }, null)
          return { ok: false as const, error: 'no' }
        },
      )
      // A commit after it: once that one is out, whatever came before it would be out too (order of seq).
      await writeEvents(sql, 1, () => relay.wake())
      await until(() => bus.got.length >= 1)
      await relay.stop()
      expect(bus.got).toHaveLength(1)
      expect(bus.got[0]!.correlation_id).toBe('corr')
    })

    test(
      'while the bus is down rows wait (attempts noted); ' + 'once it is back each is published once, in order',
      async () => {
        const { sql, bus } = await outage({ pollMs: 20, maxBackoffMs: 50 }, 5, 2, async ({ sql, bus, relay }) => {
          expect(bus.got).toHaveLength(0)
          expect(await relay.backlog()).toBe(5)
          await until(async () => ((await sql`select max(attempts)::int as a from outbox`)[0]!.a as number) >= 1)
        })
        const seqs = (await sql<{ id: string }[]>`select id from outbox order by seq`).map((r) => r.id)
        expect(bus.got.map((e) => e.id)).toEqual(seqs)
      },
    )

    test(
      'a bus that comes back ends the backoff: ' + 'the backlog goes out at once, not a whole backoff later',
      async () => {
        // after 5 failures, backoffs of 100, 200, 400 and 800 ms: the relay is in a wait of 1.6 s, pinging the bus
        const { bus } = await outage({ pollMs: 60_000, maxBackoffMs: 60_000 }, 2, 5, undefined, 30_000)
        // The first ping that found the bus up ended the wait: the publish came right after it, with
        // no further ping (a wait that ran its course would have pinged again, up, every 100 ms).
        // How soon: bench/timings/relay.ts.
        const up = bus.calls.indexOf('ping:up')
        expect(bus.calls.slice(up, up + 2)).toEqual(['ping:up', 'publish:up'])
        expect(bus.calls.filter((c) => c === 'ping:up')).toHaveLength(1)
      },
    )

    test("each event goes out as its JSON text and auth's signature of exactly those bytes", async () => {
      const { sql, bus, relay } = await started({ pollMs: 60_000 })
      await writeEvents(sql, 2, () => relay.wake())
      await until(() => bus.sent.length === 2)
      for (const e of bus.sent) {
        expect(JSON.parse(new TextDecoder().decode(e.body))).toEqual(e.envelope)
        expect(await keys.keyring.verify(e.body, e.signature)).toEqual({
          ok: true,
          service: 'auth',
          keyId: 'auth-test',
        })
      }
      await relay.stop()
    })

    test('stop() flushes what is committed', async () => {
      const { sql, bus, relay } = await started({ pollMs: 60_000 })
      await writeEvents(sql, 3) // no wake: only the final drain can send these
      await relay.stop()
      expect(bus.got).toHaveLength(3)
    })

    test('to a real (memory) bus consumer, envelopes arrive intact', async () => {
      const sql = await db.open()
      const bus = new MemoryBus(keys.keyring)
      const got: Envelope[] = []
      await bus.subscribe({
        service: 'catalog',
        name: 'users',
        topics: ['user.deleted'],
        handler: async (e) => void got.push(e),
      })
      const relay = new OutboxRelay(sql, bus, silentLogger, { signer })
      relay.start()
      await writeEvents(sql, 2, () => relay.wake())
      await until(() => got.length === 2)
      expect(got[0]).toMatchObject({ type: 'user.deleted', version: 1, source: 'auth', correlation_id: 'corr' })
      await relay.stop()
    })
  })
}

describe.skipIf(!(await useServer()))('two relay instances on one database', () => {
  test('share the rows (for update skip locked): each of 2,000 events is published exactly once', async () => {
    const { sql } = await sharedServerDb('relay2')
    await freshSchema(sql, MESSAGING_MIGRATIONS)
    const bus = new FlakyBus()
    const a = new OutboxRelay(sql, bus, silentLogger, { pollMs: 5, batch: 50, signer })
    const b = new OutboxRelay(sql, bus, silentLogger, { pollMs: 5, batch: 50, signer })
    a.start()
    b.start()
    const wakeBoth = () => {
      a.wake()
      b.wake()
    }
    await Promise.all(Array.from({ length: 20 }, () => writeEvents(sql, 100, wakeBoth)))
    await until(() => bus.got.length >= 2000, 20_000)
    await Promise.all([a.stop(), b.stop()]) // each drains what it still holds: a second copy would be out by now
    expect(bus.got).toHaveLength(2000)
    expect(new Set(bus.got.map((e) => e.id)).size).toBe(2000)
    expect(a.stats.published).toBeGreaterThan(0)
    expect(b.stats.published).toBeGreaterThan(0)
  })
})
