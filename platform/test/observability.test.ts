import { describe, expect, test } from 'bun:test'
import type { ReadableSpan } from '@opentelemetry/sdk-trace'
import { TEST_EVENT_KEYS as keys } from '../testing/event-keys.ts'
import { MemoryBus } from '../src/bus/memory.ts'
import type { Envelope } from '@shop/kernel/events'
import { noteDuplicate } from '@shop/kernel/inbox'
import { createLogger } from '../src/log.ts'
import { type ServiceMetrics, createMetrics } from '../src/observability/metrics.ts'
import type { Handler } from '../src/bus/bus.ts'
import { inSpan, startTracing, traceparentOf, tracingOn } from '../src/observability/tracing.ts'
import { type Sql, poolStats } from '../src/postgres/connect.ts'
import { OutboxRelay } from '../src/postgres/relay.ts'
import { transact } from '../src/postgres/transact.ts'
import { ok } from '@shop/kernel/result'
import { adapterDatabases } from '../testing/databases.ts'
import { consumedCount, processedCount, sample } from '../testing/metrics.ts'
import { useTracing } from '../testing/tracing.ts'
import { until } from '../testing/until.ts'

/** `service`'s users queue on `bus`, taking user.deleted to `handler`, counted in `metrics`. */
const deletedUsers = (bus: MemoryBus, service: string, metrics: ServiceMetrics, handler: Handler) =>
  bus.subscribe({ service, name: 'users', topics: ['user.deleted'], metrics, handler })

const write = (sql: Sql, onEvents: () => void, id = crypto.randomUUID()) =>
  transact(
    sql,
    { source: 'auth', onEvents },
    (_tx, events) => events,
    async (events) => {
      await events.add({ type: 'user.deleted', data: { id, version: 1 } }, 'corr')
      return ok(id)
    },
  )

describe('tracing off (no exporter)', () => {
  test('no span, no context: inSpan just runs and there is no traceparent to carry', async () => {
    expect(tracingOn()).toBe(false)
    expect(startTracing({ service: 'x' }).on).toBe(false)
    let seen: unknown = 'unset'
    await inSpan('nothing', {}, async (span) => {
      seen = span
      expect(traceparentOf()).toBeNull()
    })
    expect(seen).toBeUndefined()
  })
})

for (const db of await adapterDatabases('observability', [])) {
  describe(`one trace from a use case through the outbox, the relay and a consumer (${db.kind})`, () => {
    const exporter = useTracing('test')

    test(
      'spans chain use case → transaction → publish → process; ' +
        'the row and the log lines carry the trace; metrics count it',
      async () => {
        exporter.reset()
        const sql = await db.open()
        const lines: Record<string, unknown>[] = []
        const log = createLogger({ service: 'test', level: 'debug', sink: (l) => void lines.push(JSON.parse(l)) })
        const metrics = createMetrics('test')
        const bus = new MemoryBus(keys.keyring, log)
        const got: Envelope[] = []
        await deletedUsers(bus, 'catalog', metrics, async (e) => {
          log.info('handling it', { event_id: e.id })
          got.push(e)
        })
        const relay = new OutboxRelay(sql, bus, log, { metrics, signer: keys.signers.auth })
        metrics.sources.outbox = () => relay.backlogDetail()
        relay.start()
        const id = await inSpan(
          'use case',
          {},
          async () => (await write(sql, () => relay.wake())) as { ok: true; value: string },
        )
        await until(() => got.length === 1)
        await relay.stop()

        const spans = exporter.getFinishedSpans()
        const one = (name: string): ReadableSpan => {
          const found = spans.filter((s) => s.name === name)
          expect(found).toHaveLength(1)
          return found[0]!
        }
        const useCase = one('use case')
        const tx = one('db transaction')
        const publish = one('publish user.deleted')
        const process = one('process user.deleted')
        const trace = useCase.spanContext().traceId
        for (const s of [tx, publish, process]) expect(s.spanContext().traceId).toBe(trace)
        expect(useCase.parentSpanContext).toBeUndefined()
        expect(tx.parentSpanContext?.spanId).toBe(useCase.spanContext().spanId)
        expect(publish.parentSpanContext?.spanId).toBe(tx.spanContext().spanId)
        expect(process.parentSpanContext?.spanId).toBe(publish.spanContext().spanId)

        await sql.begin(async (t) => {
          await t`select 1`
          expect(poolStats(sql).used).toBeGreaterThanOrEqual(1)
        })

        const [row] = await sql<
          { traceparent: string }[]
        >`select traceparent from outbox where envelope->'data'->>'id' = ${id.value}`
        expect(row!.traceparent).toBe(`00-${trace}-${tx.spanContext().spanId}-01`)

        const handled = lines.find((l) => l.msg === 'handling it')!
        expect(handled).toMatchObject({ trace_id: trace, span_id: process.spanContext().spanId })
        expect(lines.find((l) => l.msg === 'event processed')).toMatchObject({ trace_id: trace })

        const text = await metrics.expose()
        expect(sample(text, 'shop_outbox_published_total', { service: 'test' })).toBe(1)
        expect(sample(text, 'shop_outbox_unsent')).toBe(0)
        expect(consumedCount(text, 'catalog.users', 'applied')).toBe(1)
        expect(processedCount(text, 'catalog.users')).toBe(1)
      },
    )
  })
}

describe('consumer outcomes', () => {
  test('applied, duplicate, retried, dead_lettered and refused are counted per queue', async () => {
    const metrics = createMetrics('test')
    const bus = new MemoryBus(keys.keyring, undefined, 2)
    let calls = 0
    await deletedUsers(bus, 'order', metrics, async (e) => {
      calls++
      const version = (e as Envelope<'user.deleted'>).data.version
      if (version === 2) noteDuplicate()
      if (version === 3) throw new Error('always fails')
    })
    const env = (version: number) =>
      JSON.stringify({
        id: crypto.randomUUID(),
        type: 'user.deleted',
        version: 1,
        occurred_at: new Date().toISOString(),
        source: 'auth',
        correlation_id: null,
        data: { id: crypto.randomUUID(), version },
      })
    const signed = async (text: string) => {
      const body = new TextEncoder().encode(text)
      bus.publishRaw('user.deleted', body, { signature: await keys.signers.auth.sign(body) })
    }
    await signed(env(1))
    await signed(env(2))
    await signed(env(3)) // fails twice: retried once, then dead-lettered
    await signed('{"not":"an envelope"}')
    await bus.settled()
    const text = await metrics.expose()
    const n = (outcome: string) => consumedCount(text, 'order.users', outcome)
    expect([n('applied'), n('duplicate'), n('retried'), n('dead_lettered'), n('refused')]).toEqual([1, 1, 1, 1, 1])
    expect(calls).toBe(4)
    expect(processedCount(text, 'order.users')).toBe(4)
  })
})

describe('metrics registry', () => {
  test('pool, outbox, dead-letter and process gauges are read at scrape time, every series labelled', async () => {
    const metrics = createMetrics('catalog')
    metrics.sources.pool = () => ({ used: 3, idle: 2, waiting: 7 })
    metrics.sources.outbox = async () => ({ unsent: 4, oldestAgeSeconds: 1.5 })
    metrics.sources.deadLetters = async () => ({ 'catalog.users.dead': 5, 'catalog.orders.dead': 0 })
    const text = await metrics.expose()
    expect(sample(text, 'shop_dead_letter_messages', { queue: 'catalog.users.dead' })).toBe(5)
    expect(sample(text, 'shop_dead_letter_messages', { queue: 'catalog.orders.dead' })).toBe(0)
    expect(sample(text, 'db_client_connection_count', { state: 'used', service: 'catalog' })).toBe(3)
    expect(sample(text, 'db_client_connection_count', { state: 'idle' })).toBe(2)
    expect(sample(text, 'db_client_connection_pending_requests')).toBe(7)
    expect(sample(text, 'shop_outbox_unsent')).toBe(4)
    expect(sample(text, 'shop_outbox_oldest_unsent_age_seconds')).toBe(1.5)
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(1024 * 1024)
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge')
    expect(metrics.contentType).toContain('text/plain')
  })

  test("prom-client's default process metrics per service: three in one process (make dev), no duplicate", async () => {
    const three = ['auth', 'catalog', 'order'].map((s) => createMetrics(s))
    for (const m of three) {
      const text = await m.expose()
      for (const name of [
        'process_cpu_seconds_total',
        'process_start_time_seconds',
        'process_open_fds',
        'process_virtual_memory_bytes',
        'nodejs_heap_size_used_bytes',
      ])
        expect({ name, present: new RegExp(`^${name}\\{service="${m.service}"\\} \\d`, 'm').test(text) }).toEqual({
          name,
          present: true,
        })
      expect(sample(text, 'process_cpu_seconds_total', { service: m.service })).toBeGreaterThan(0)
      // one lag gauge, ours (a timer's lateness), not prom-client's single setImmediate delay
      expect(text.match(/^# TYPE nodejs_eventloop_lag_seconds /gm)?.length).toBe(1)
      expect(text).toContain('nodejs_eventloop_lag_p99_seconds')
    }
  })
})
