import type { Bus } from '../bus/bus.ts'
import { type EventSigner, signEvents } from '../bus/signing.ts'
import type { Envelope } from '@shop/kernel/events'
import type { Logger } from '../log.ts'
import type { OutboxBacklog, ServiceMetrics } from '../observability/metrics.ts'
import { SpanKind, failed, openSpan, traceparentOf } from '../observability/tracing.ts'
import type { Sql } from './connect.ts'

export interface RelayOptions {
  /** The service's own key (EVENT_SIGNING_KEY): every event is signed with it as it is published. */
  readonly signer: EventSigner
  readonly batch?: number
  /** Poll interval when nothing woke the relay (a safety net: commits wake it at once). */
  readonly pollMs?: number
  readonly maxBackoffMs?: number
  /** Published rows and failed batches are counted here. */
  readonly metrics?: Pick<ServiceMetrics, 'outboxPublished' | 'outboxFailures'> | undefined
}

/**
 * The outbox relay: claims unsent rows in order (`for update skip locked`, so several instances
 * share the work without sending a row twice at once) and marks them sent in the same statement,
 * publishes them with confirms, and commits; a failed publish rolls the mark back. While the
 * broker is down it retries with exponential backoff; the rows wait. `wake()` is called after
 * every commit that wrote events.
 *
 * It signs each event as it publishes it (signEvents: the JSON text, and the signature of exactly
 * those bytes), rather than the transaction that writes the row: the outbox keeps the envelope as
 * jsonb, which does not keep bytes; rows written before a release that signs, or while the broker
 * was down across a key rotation, go out signed with the key in force; and the request's
 * transaction does not pay for it. So whatever is in the outbox table is signed: the service's
 * database is inside its trust boundary (see the README's trust model).
 *
 * Delivery is at-least-once (a crash between confirm and commit republishes a batch); consumers
 * are idempotent by event id.
 */
export class OutboxRelay {
  private running = false
  private loop: Promise<void> | undefined
  private wakeUp: (() => void) | undefined
  private interrupt: (() => void) | undefined
  private woken = false
  private backoff = 0
  private readonly batch: number
  private readonly pollMs: number
  private readonly maxBackoffMs: number
  private readonly metrics: RelayOptions['metrics']
  private readonly signer: EventSigner
  /** Counters for tests and benchmarks. */
  readonly stats = { published: 0, failures: 0 }

  constructor(
    private readonly sql: Sql,
    private readonly bus: Bus,
    private readonly log: Logger,
    o: RelayOptions,
  ) {
    this.signer = o.signer
    this.batch = o.batch ?? 200
    this.pollMs = o.pollMs ?? 1000
    this.maxBackoffMs = o.maxBackoffMs ?? 5000
    this.metrics = o.metrics
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.loop = this.run()
  }

  /** Something was committed: publish now rather than at the next poll. */
  wake(): void {
    this.woken = true
    this.wakeUp?.()
  }

  private async run(): Promise<void> {
    while (this.running) {
      let sent = 0
      try {
        sent = await this.drainOnce()
        this.backoff = 0
      } catch (e) {
        this.stats.failures++
        this.metrics?.outboxFailures.inc()
        this.backoff = Math.min(this.maxBackoffMs, this.backoff ? this.backoff * 2 : 100)
        this.log.warn('outbox relay: publish failed; will retry', {
          error: (e as Error).message,
          retry_in_ms: this.backoff,
        })
        await this.backOff(this.backoff)
        continue
      }
      if (sent < this.batch) await this.sleep(this.pollMs, true)
    }
  }

  /**
   * Waits before the next attempt. While the bus is down, its return ends the wait: after an outage
   * the backlog goes out as soon as the bus has reconnected, not up to a whole backoff later.
   */
  private async backOff(ms: number): Promise<void> {
    const up = () =>
      this.bus.ping().then(
        () => true,
        () => false,
      )
    if (await up()) return this.sleep(ms, false)
    const end = Date.now() + ms
    while (this.running && Date.now() < end) {
      await this.sleep(Math.min(100, end - Date.now()), false)
      if (await up()) return
    }
  }

  // A commit wakes a wakeable sleep (the poll); only stop() or a bus back up cuts a backoff short.
  private sleep(ms: number, wakeable: boolean): Promise<void> {
    if (!this.running) return Promise.resolve()
    if (wakeable && this.woken) {
      this.woken = false
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.wakeUp = undefined
        this.interrupt = undefined
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.interrupt = done
      if (wakeable) {
        this.wakeUp = () => {
          this.woken = false
          done()
        }
      }
    })
  }

  /** Publishes one batch; returns how many rows were sent. */
  async drainOnce(): Promise<number> {
    let sent = 0
    await this.sql.begin(async (tx) => {
      // Claimed and marked sent in one statement; the mark stands only if the publish is confirmed
      // (a failed publish throws and the transaction rolls it back). The oldest first, in order.
      const rows = (
        await tx<{ seq: number; envelope: Envelope; traceparent: string | null }[]>`
        update outbox set sent_at = now()
        where seq in (
          select seq from outbox
          where sent_at is null
          order by seq
          limit ${this.batch}
          for update skip locked)
        returning seq, envelope, traceparent`
      ).sort((a, b) => Number(a.seq) - Number(b.seq))
      if (!rows.length) return
      // One producer span per event, child of the transaction that wrote it; its context is the
      // message's traceparent header. Tracing off: the row's own context is passed on as it is.
      const spans = rows.map((r) =>
        openSpan(`publish ${r.envelope.type}`, {
          kind: SpanKind.PRODUCER,
          traceparent: r.traceparent,
          attributes: {
            'messaging.system': 'rabbitmq',
            'messaging.operation.type': 'send',
            'messaging.destination.name': r.envelope.type,
            'messaging.message.id': r.envelope.id,
          },
        }),
      )
      try {
        const traceparents = rows.map((r, i) => (spans[i] ? traceparentOf(spans[i]) : r.traceparent))
        await this.bus.publish(
          await signEvents(
            this.signer,
            rows.map((r) => r.envelope),
            traceparents,
          ),
        )
      } catch (e) {
        for (const span of spans) {
          failed(span, e)
          span?.end()
        }
        // Keep the rows unsent; note the attempt outside this transaction, which rolls back.
        queueMicrotask(() => {
          void this
            .sql`update outbox set attempts = attempts + 1, last_error = ${String((e as Error).message).slice(0, 500)}
            where seq in ${this.sql(rows.map((r) => r.seq))} and sent_at is null`.catch(() => {})
        })
        throw e
      }
      for (const span of spans) span?.end()
      sent = rows.length
    })
    this.stats.published += sent
    if (sent) this.metrics?.outboxPublished.inc(sent)
    return sent
  }

  /** Stops after one last drain, so what is committed is published if the broker is up. */
  async stop(): Promise<void> {
    if (!this.running) return
    this.running = false
    this.interrupt?.()
    await this.loop
    try {
      while ((await this.drainOnce()) === this.batch);
    } catch (e) {
      this.log.warn('outbox relay: final drain failed; rows stay for the next start', { error: (e as Error).message })
    }
  }

  /** Unsent rows and the age of the oldest (the outbox gauges, read at each scrape). */
  async backlogDetail(): Promise<OutboxBacklog> {
    const [row] = await this.sql<{ n: number; age: number }[]>`
      select count(*)::int as n, coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as age
      from outbox where sent_at is null`
    return { unsent: row?.n ?? 0, oldestAgeSeconds: Math.max(0, row?.age ?? 0) }
  }

  /** Rows not yet published (tests, readiness detail). */
  async backlog(): Promise<number> {
    const [row] = await this.sql<{ n: number }[]>`select count(*)::int as n from outbox where sent_at is null`
    return row?.n ?? 0
  }
}

/** Deletes outbox rows published more than `hours` ago; returns how many (housekeeping's job, not the relay's). */
export async function pruneOutbox(sql: Sql, hours: number): Promise<number> {
  const rows = await sql`delete from outbox where sent_at < now() - make_interval(hours => ${hours}) returning 1`
  return rows.length
}
