/**
 * bench/events: how fast a committed change reaches its consumer through the real path:
 * outbox row (same transaction as the change) → relay → RabbitMQ (confirms, persistent) →
 * consumer → inbox + effect (same transaction) → ack.
 *
 *   bun bench/events/run.ts [--events 1000] [--burst 20000] [--unsigned]
 *
 * Events are signed by the relay and verified by the consumer (Ed25519), as in the shop;
 * `--unsigned` swaps both for stand-ins that do nothing (the cost of signing is the difference:
 * bench/events/signing-ab.ts runs both in turns). It also times signing and verifying alone.
 *
 * Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres;
 * databases shop_bench_events_{pub,sub} are created) and RabbitMQ (BENCH_AMQP_URL).
 * Prints p50/p99 latency over --events sequential changes and the sustained rate of a burst.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { AmqpBus, brokerUser } from '@shop/platform/bus/amqp'
import { createLogger } from '@shop/platform/log'
import { ensureDatabase, openDatabase } from '@shop/platform/postgres/connect'
import { migrate, USER_REPLICA_MIGRATIONS } from '@shop/platform/postgres/migrate'
import { OutboxRelay } from '@shop/platform/postgres/relay'
import { postgresInbox } from '@shop/platform/postgres/inbox'
import { transact } from '@shop/platform/postgres/transact'
import { postgresUserReplica } from '@shop/platform/postgres/user-replica'
import type { Envelope } from '@shop/kernel/events'
import { type EventKeyring, type EventSigner, signEvents } from '@shop/platform/bus/signing'
import { makeTestEventKeys } from '@shop/platform/testing/event-keys'
import { ok } from '@shop/kernel/result'

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000' },
    burst: { type: 'string', default: '20000' },
    unsigned: { type: 'boolean', default: false },
  },
})
const SIGNED = !values.unsigned
const N = Number(values.events)
const BURST = Number(values.burst)
const base = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const amqp = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'
const log = createLogger({ service: 'bench', level: (process.env.BENCH_LOG as 'warn') ?? 'error' })
const dbUrl = (name: string) => Object.assign(new URL(base), { pathname: `/${name}` }).toString()
const prefix = `bench.${process.pid}.`

async function openFresh(name: string) {
  await ensureDatabase(dbUrl(name), log)
  const db = await openDatabase({ url: dbUrl(name), dataDir: '', name, poolMax: 10, log })
  await db.sql`drop schema if exists public cascade`
  await db.sql`create schema public`
  await migrate(db.sql, [USER_REPLICA_MIGRATIONS], log)
  return db
}

const keys = await makeTestEventKeys('bench')
// The stand-ins of --unsigned: no signature made, every one taken as auth's.
const noSigner: EventSigner = { keyId: 'none', sign: async () => ({ keyId: 'none', value: '' }) }
const noKeyring: EventKeyring = { verify: async () => ({ ok: true, service: 'auth', keyId: 'none' }) }
const signer = SIGNED ? keys.signers.auth : noSigner
const keyring = SIGNED ? keys.keyring : noKeyring

// Signing and verifying alone: a user.updated envelope as the relay sends it, one at a time.
const sample = await signEvents(keys.signers.auth, [
  {
    id: crypto.randomUUID(),
    type: 'user.updated',
    version: 1,
    occurred_at: new Date().toISOString(),
    source: 'auth',
    correlation_id: crypto.randomUUID(),
    data: {
      id: crypto.randomUUID(),
      username: 'bench',
      email: 'bench@example.com',
      role: 'USER',
      version: 1,
      tokens_valid_after: null,
    },
  },
])
// Wall time and CPU time per call (the CPU time moves much less with the machine's other load).
const timeEach = async (n: number, fn: () => Promise<unknown>) => {
  for (let i = 0; i < 200; i++) await fn()
  const t = performance.now()
  const cpu = process.cpuUsage()
  for (let i = 0; i < n; i++) await fn()
  const used = process.cpuUsage(cpu)
  return {
    wall: +(((performance.now() - t) * 1000) / n).toFixed(1),
    cpu: +((used.user + used.system) / n).toFixed(1),
  }
}
const signTime = await timeEach(5000, () => keys.signers.auth.sign(sample[0]!.body))
const verifyTime = await timeEach(5000, () => keys.keyring.verify(sample[0]!.body, sample[0]!.signature))
const crypto_us = {
  body_bytes: sample[0]!.body.byteLength,
  sign: signTime.wall,
  verify: verifyTime.wall,
  sign_cpu: signTime.cpu,
  verify_cpu: verifyTime.cpu,
}

const pub = await openFresh('shop_bench_events_pub')
const sub = await openFresh('shop_bench_events_sub')
const busOpts = {
  url: amqp,
  log,
  prefetch: 64,
  exchange: `${prefix}events`,
  deadLetterExchange: `${prefix}dlx`,
  queuePrefix: prefix,
  topology: [],
  declareExchanges: true,
  publishers: { auth: brokerUser(amqp), catalog: brokerUser(amqp), order: brokerUser(amqp) },
  keys: keyring,
}
const pubBus = new AmqpBus({ ...busOpts, name: 'bench-pub' })
const subBus = new AmqpBus({ ...busOpts, name: 'bench-sub' })

const applied = new Map<string, number>()
let waiter: { id: string; resolve: () => void } | undefined
let appliedCount = 0
let allApplied: (() => void) | undefined
await subBus.subscribe({
  service: 'catalog',
  name: 'users',
  topics: ['user.updated'],
  handler: async (e: Envelope) => {
    await transact(
      sub.sql,
      { source: 'catalog' },
      (tx) => ({ inbox: postgresInbox(tx), replica: postgresUserReplica(tx) }),
      async ({ inbox, replica }) => {
        if (!(await inbox.claim(e.id, e.type))) return ok(null)
        await replica.apply(e as Envelope<'user.updated'>)
        return ok(null)
      },
    )
    const id = (e.data as { id: string }).id
    applied.set(id, performance.now())
    appliedCount++
    if (waiter?.id === id) waiter.resolve()
    if (appliedCount === BURST && allApplied) allApplied()
  },
})
await subBus.waitUntilConnected(10_000)
await pubBus.waitUntilConnected(10_000)
const relay = new OutboxRelay(pub.sql, pubBus, log, { signer })
relay.start()

const change = (id: string, version: number) =>
  transact(
    pub.sql,
    { source: 'auth', onEvents: () => relay.wake() },
    (_tx, events) => events,
    async (events) => {
      await events.add(
        {
          type: 'user.updated',
          data: { id, username: 'bench', email: 'bench@example.com', role: 'USER', version, tokens_valid_after: null },
        },
        null,
      )
      return ok(null)
    },
  )

// Latency: one change at a time; the clock starts when the commit has returned.
const latencies: number[] = []
for (let i = 0; i < N + 50; i++) {
  const id = crypto.randomUUID()
  const done = new Promise<void>((resolve) => (waiter = { id, resolve }))
  await change(id, 1)
  const t0 = performance.now()
  await done
  if (i >= 50) latencies.push(applied.get(id)! - t0) // the first 50 warm up
}
latencies.sort((a, b) => a - b)
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!

// Throughput: BURST changes committed by 8 concurrent writers, until the last one is applied.
appliedCount = 0
const finished = new Promise<void>((resolve) => (allApplied = resolve))
const t0 = performance.now()
let next = 0
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (next < BURST) {
      next++
      await change(crypto.randomUUID(), 1)
    }
  }),
)
const committedAt = performance.now()
await finished
const seconds = (performance.now() - t0) / 1000

const result = {
  when: new Date().toISOString(),
  signed: SIGNED,
  crypto_us,
  events: N,
  latency_ms: {
    p50: +pct(50).toFixed(2),
    p90: +pct(90).toFixed(2),
    p99: +pct(99).toFixed(2),
    max: +latencies.at(-1)!.toFixed(2),
  },
  burst: {
    events: BURST,
    seconds: +seconds.toFixed(2),
    events_per_second: Math.round(BURST / seconds),
    commit_seconds: +((committedAt - t0) / 1000).toFixed(2),
  },
}
console.log(`
## bench/events (outbox → RabbitMQ → inbox, real PostgreSQL and RabbitMQ)

| measure | value |
|---|---|
| latency p50, commit → effect applied (${N} events, one at a time) | ${result.latency_ms.p50} ms |
| latency p90 | ${result.latency_ms.p90} ms |
| latency p99 | ${result.latency_ms.p99} ms |
| sustained throughput (${BURST} events, 8 writers) | ${result.burst.events_per_second} events/s |
| events ${SIGNED ? 'signed (Ed25519) and verified' : 'unsigned (--unsigned)'}; signing alone ${crypto_us.sign} µs \
(CPU ${crypto_us.sign_cpu} µs), verifying ${crypto_us.verify} µs (CPU ${crypto_us.verify_cpu} µs), a \
${crypto_us.body_bytes}-byte envelope | |
`)
mkdirSync(join(import.meta.dir, '..', 'results'), { recursive: true })
const out = process.env.BENCH_EVENTS_OUT ?? join(import.meta.dir, '..', 'results', 'events.json')
writeFileSync(out, JSON.stringify(result, null, 2))

await relay.stop()
await subBus.close()
await pubBus.close()
const { deleteQueues } = await import('@shop/platform/testing/broker')
await deleteQueues([`${prefix}catalog.users`, `${prefix}catalog.users.dead`], [`${prefix}events`, `${prefix}dlx`])
await pub.close()
await sub.close()
process.exit(0)
