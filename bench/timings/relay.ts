/**
 * How soon the outbox relay publishes: after a commit that wakes it (its poll set to 10 minutes), and
 * after a bus that was down comes back while the relay is in a backoff of 1.6 s. platform/test/relay.test.ts
 * asserts that both happen (the wake before the poll; the backoff cut short by the first ping that finds the
 * bus up); the times are here, since a wall-clock limit in `make test` fails on a busy machine. Runs on the
 * local PostgreSQL (a database of its own, dropped after).
 *
 *   bun bench/timings/relay.ts [--runs 20]
 */
import { parseArgs } from 'node:util'
import postgres from 'postgres'
import { silentLogger } from '@shop/platform/log'
import { openDatabase } from '@shop/platform/postgres/connect'
import { MESSAGING_MIGRATIONS } from '@shop/platform/postgres/migrate'
import { OutboxRelay } from '@shop/platform/postgres/relay'
import { freshSchema, serverUrl } from '@shop/platform/testing/databases'
import { TEST_EVENT_KEYS } from '@shop/platform/testing/event-keys'
import { until } from '@shop/platform/testing/until'
import { FlakyBus, writeEvents } from '@shop/platform/testing/relay'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' } } })
const runs = Number(values.runs)
const DB = 'shop_bench_timings_relay'
const url = Object.assign(new URL(serverUrl()), { pathname: `/${DB}` }).toString()
const admin = postgres(serverUrl(), { max: 1, onnotice: () => {} })
await admin`drop database if exists ${admin(DB)} with (force)`
await admin`create database ${admin(DB)}`
const db = await openDatabase({ url, dataDir: '', name: 'relay', poolMax: 4, log: silentLogger })
const signer = TEST_EVENT_KEYS.signers.auth
const pct = (xs: number[], p: number) =>
  xs.toSorted((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!
const line = (what: string, xs: number[]) =>
  console.log(
    `  ${what}: p50 ${pct(xs, 0.5).toFixed(1)} ms, p90 ${pct(xs, 0.9).toFixed(1)} ms, max ${pct(xs, 1).toFixed(1)} ms`,
  )
try {
  const wake: number[] = []
  const back: number[] = []
  for (let i = 0; i < runs; i++) {
    await freshSchema(db.sql, MESSAGING_MIGRATIONS)
    let bus = new FlakyBus()
    let relay = new OutboxRelay(db.sql, bus, silentLogger, { pollMs: 600_000, signer })
    relay.start()
    const t0 = performance.now()
    await writeEvents(db.sql, 1, () => relay.wake())
    await until(() => bus.got.length === 1, 30_000)
    wake.push(performance.now() - t0)
    await relay.stop()

    bus = new FlakyBus()
    bus.down = true
    relay = new OutboxRelay(db.sql, bus, silentLogger, { pollMs: 600_000, maxBackoffMs: 60_000, signer })
    relay.start()
    await writeEvents(db.sql, 2, () => relay.wake())
    await until(() => relay.stats.failures >= 5, 30_000) // now in a backoff of 1.6 s
    const t1 = performance.now()
    bus.down = false
    await until(() => bus.got.length >= 2, 30_000)
    back.push(performance.now() - t1)
    await relay.stop()
  }
  console.log(`outbox relay, ${runs} runs`)
  line('commit → published (woken; the poll is 10 min)', wake)
  line('bus back → backlog published (in a backoff of 1.6 s)', back)
} finally {
  await db.close?.()
  await admin`drop database if exists ${admin(DB)} with (force)`.catch(() => {})
  await admin.end()
}
