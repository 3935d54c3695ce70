import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/**
 * The Prometheus metrics of one service, in its own registry (`make dev` runs three services in
 * one process, each with its own /metrics). Names follow the OpenTelemetry semantic conventions
 * where one exists (`http_server_request_duration_seconds`, `messaging_process_duration_seconds`,
 * `db_client_connection_count`, ...), the shop's own are prefixed `shop_`.
 *
 * prom-client writes the exposition format, and its default process metrics are in each service's registry
 * (`collectDefaultMetrics`: CPU, resident and virtual memory, open file descriptors, start time, heap, the
 * event-loop delay's percentiles...), each series with the service's label. Under `make dev` the three services
 * share one process, so they report the same process figures, each under its own `service`; each registry holds
 * its own copy, so nothing is registered twice. `nodejs_eventloop_lag_seconds` is measured here instead (prom-client's
 * is a single setImmediate's delay, 0 on Bun): how late a 100 ms timer fired, the worst over the last 5 s.
 */

/** Seconds; from 1 ms to 10 s, dense where our requests and handlers live. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** How a consumed message ended. */
export type ConsumeOutcome = 'applied' | 'duplicate' | 'retried' | 'dead_lettered' | 'refused'

export interface PoolStats {
  /** Connections running a query or held by a transaction. */
  readonly used: number
  /** Connections open and idle. */
  readonly idle: number
  /** Queries waiting for a connection. */
  readonly waiting: number
}

export interface OutboxBacklog {
  readonly unsent: number
  /** Age in seconds of the oldest unsent row; 0 when none. */
  readonly oldestAgeSeconds: number
}

export interface ServiceMetrics {
  readonly service: string
  readonly registry: Registry
  readonly http: Histogram<'http_request_method' | 'http_route' | 'http_response_status_code'>
  readonly outboxPublished: Counter
  readonly outboxFailures: Counter
  readonly consumed: Counter<'messaging_destination_name' | 'outcome'>
  readonly handlerDuration: Histogram<'messaging_destination_name'>
  /** Sources read at each scrape; set by whoever owns them (the boot: database and outbox). */
  readonly sources: {
    pool?: () => PoolStats
    outbox?: () => Promise<OutboxBacklog>
    /** Each consumed queue and whether its consumer is attached. */
    consumers?: () => Record<string, boolean>
    /** Messages in each of the service's dead-letter queues (`<queue>.dead`). */
    deadLetters?: () => Promise<Record<string, number>>
  }
  /** The exposition text (Prometheus format 0.0.4). */
  expose(): Promise<string>
  readonly contentType: string
}

export function createMetrics(service: string): ServiceMetrics {
  startLagSampler()
  const registry = new Registry()
  registry.setDefaultLabels({ service })
  collectDefaultMetrics({ register: registry })
  registry.removeSingleMetric('nodejs_eventloop_lag_seconds')
  const registers = [registry]
  const sources: ServiceMetrics['sources'] = {}

  const http = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Duration of HTTP requests, by method, route template and status (its _count is the request count).',
    labelNames: ['http_request_method', 'http_route', 'http_response_status_code'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  })
  const outboxPublished = new Counter({
    name: 'shop_outbox_published_total',
    help: 'Outbox rows published to the broker (confirmed).',
    registers,
  })
  const outboxFailures = new Counter({
    name: 'shop_outbox_publish_failures_total',
    help: 'Outbox batches the broker did not take (the rows stay and are retried).',
    registers,
  })
  let backlog: Promise<OutboxBacklog> | undefined
  const readBacklog = () =>
    (backlog ??= (sources.outbox?.() ?? Promise.resolve({ unsent: 0, oldestAgeSeconds: 0 })).finally(
      () => (backlog = undefined),
    ))
  new Gauge({
    name: 'shop_outbox_unsent',
    help: 'Outbox rows committed but not yet published.',
    registers,
    async collect() {
      this.set((await readBacklog()).unsent)
    },
  })
  new Gauge({
    name: 'shop_outbox_oldest_unsent_age_seconds',
    help: 'Age of the oldest unpublished outbox row (0 when none).',
    registers,
    async collect() {
      this.set((await readBacklog()).oldestAgeSeconds)
    },
  })
  const consumed = new Counter({
    name: 'messaging_client_consumed_messages_total',
    help:
      'Messages taken from a queue, by queue and outcome: applied, duplicate (already processed), ' +
      'retried, dead_lettered (handler kept failing), refused (invalid, dead-lettered at once).',
    labelNames: ['messaging_destination_name', 'outcome'] as const,
    registers,
  })
  const handlerDuration = new Histogram({
    name: 'messaging_process_duration_seconds',
    help: 'Duration of a consumer handler (its transaction included), by queue.',
    labelNames: ['messaging_destination_name'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  })
  new Gauge({
    name: 'shop_consumer_attached',
    help: 'Whether the consumer of a queue is attached to the broker (1) or not (0); 0 also while shutting down.',
    labelNames: ['queue'] as const,
    registers,
    collect() {
      this.reset()
      for (const [queue, on] of Object.entries(sources.consumers?.() ?? {})) this.set({ queue }, on ? 1 : 0)
    },
  })
  new Gauge({
    name: 'shop_dead_letter_messages',
    help:
      'Messages in each dead-letter queue of the service (<queue>.dead), bounded by the broker policy ' +
      '(10,000 messages or 64 MiB; beyond it the oldest are dropped).',
    labelNames: ['queue'] as const,
    registers,
    async collect() {
      this.reset()
      const none: Record<string, number> = {}
      const counts = await (sources.deadLetters?.() ?? Promise.resolve(none)).catch(() => none)
      for (const [queue, n] of Object.entries(counts)) this.set({ queue }, n)
    },
  })
  new Gauge({
    name: 'db_client_connection_count',
    help: 'Database pool connections by state: used (running a query or held by a transaction) or idle.',
    labelNames: ['state'] as const,
    registers,
    collect() {
      const p = sources.pool?.()
      this.set({ state: 'used' }, p?.used ?? 0)
      this.set({ state: 'idle' }, p?.idle ?? 0)
    },
  })
  new Gauge({
    name: 'db_client_connection_pending_requests',
    help: 'Queries waiting for a database pool connection.',
    registers,
    collect() {
      this.set(sources.pool?.()?.waiting ?? 0)
    },
  })
  new Gauge({
    name: 'nodejs_eventloop_lag_seconds',
    help: 'Event-loop lag: how late a 100 ms timer fired, the worst over the last 5 seconds.',
    registers,
    collect() {
      this.set(eventLoopLag())
    },
  })
  return {
    service,
    registry,
    http,
    outboxPublished,
    outboxFailures,
    consumed,
    handlerDuration,
    sources,
    expose: () => registry.metrics(),
    contentType: registry.contentType,
  }
}

// One sampler per process: a timer every 100 ms notes how late it fired; the gauge reports the
// worst of the last 5 s. Unreferenced, so it never keeps a process alive.
/**
 * A service's own counter of something by how it ended (label `outcome`), in its registry. Each outcome is exported at
 * 0 from the start: an alert on its increase then has a series to read before the first one happens.
 */
export function outcomeCounter(
  m: Pick<ServiceMetrics, 'registry'>,
  { name, help, outcomes }: { readonly name: string; readonly help: string; readonly outcomes: readonly string[] },
): Counter<'outcome'> {
  const counter = new Counter({ name, help, labelNames: ['outcome'] as const, registers: [m.registry] })
  for (const outcome of outcomes) counter.inc({ outcome }, 0)
  return counter
}

const LAG_INTERVAL_MS = 100
const lagWindow: number[] = []
let lagTimer: ReturnType<typeof setInterval> | undefined
function startLagSampler(): void {
  if (!lagTimer) {
    let expected = performance.now() + LAG_INTERVAL_MS
    lagTimer = setInterval(() => {
      const now = performance.now()
      lagWindow.push(Math.max(0, now - expected))
      if (lagWindow.length > 5000 / LAG_INTERVAL_MS) lagWindow.shift()
      expected = now + LAG_INTERVAL_MS
    }, LAG_INTERVAL_MS)
    lagTimer.unref?.()
  }
}
function eventLoopLag(): number {
  return lagWindow.length ? Math.max(...lagWindow) / 1000 : 0
}
