import { type EventType, parseEnvelope } from '@shop/kernel/events'
import { inDelivery } from '@shop/kernel/inbox'
import type { Logger } from '../log.ts'
import type { ConsumeOutcome, ServiceMetrics } from '../observability/metrics.ts'
import { SpanKind, failed, inSpan } from '../observability/tracing.ts'
import type { Handler } from './bus.ts'
import { ownerOf, type Service } from './ownership.ts'

/** `unavailable`: the handler could not reach a dependency; retry without spending an attempt. */
export type Outcome = 'ack' | 'retry' | 'dead' | 'unavailable'

/** What to do with a message; a dead one says why (the dead letter carries it). */
export interface Verdict {
  readonly outcome: Outcome
  readonly reason?: string
}

export interface ConsumeOptions {
  /** Handler failures before a message is dead-lettered. */
  readonly maxAttempts: number
  /**
   * The types this queue is bound to. An envelope of another type (a publisher that put a
   * routing key on the wrong event) is dead at once: no handler is written for it.
   */
  readonly topics: readonly EventType[]
  /**
   * The broker user of each owner (RabbitMQ). When set, an event is applied only when the
   * publisher the broker validated (`user_id`) is its owner's user; the memory bus has no
   * publisher to check and relies on `source` alone.
   */
  readonly publishers?: Readonly<Record<Service, string>>
}

export const DEFAULT_MAX_ATTEMPTS = 5

/**
 * No event of the contract comes near this (the largest, an order.placed of 1000 lines, is some
 * 50 KB); a bigger message is refused before it is parsed, whatever fields carry the bulk.
 */
export const MAX_EVENT_BYTES = 1024 * 1024

/** Delay before handing a failed message back, growing with the attempt: 50 ms, 100, 200... capped at 2 s. */
export const retryDelay = (attempt: number): number => Math.min(2000, 50 * 2 ** Math.max(0, attempt - 1))

// Connection failures of postgres.js and of sockets; SQLSTATE 57P01..57P03 (the server shutting
// down, crashed, or starting up) and 53300 (too many connections). Class 08 is checked by prefix.
const UNAVAILABLE = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'CONNECT_TIMEOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  '57P01',
  '57P02',
  '57P03',
  '53300',
])

/**
 * Whether a handler failed because the database could not be reached (a dropped connection, a
 * restart, a failover) rather than because of anything in the message. Such failures must not
 * count towards dead-lettering: a few seconds without the database would otherwise send every
 * event in flight to the dead-letter queue, and their effects would be lost.
 */
export function unavailable(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code
  return typeof code === 'string' && (UNAVAILABLE.has(code) || /^08[0-9A-Z]{3}$/.test(code))
}

const dead = (reason: string): Verdict => ({ outcome: 'dead', reason })

/**
 * What both bus adapters do with one received message: parse and validate it (a malformed,
 * oversized or wrongly typed message is dead at once: retrying cannot fix it), check that its
 * owner published it, run the handler, and say whether to ack, retry, dead-letter (and why), or
 * wait for the database. `publisher` is the broker-validated `user_id` (RabbitMQ). Never throws.
 *
 * This is the one place an incoming event's shape, type and publisher are checked: a handler
 * receives only a valid envelope of one of its queue's topics, from its owner, and need not
 * check any of them again.
 */
export async function consumeOne(
  body: string,
  handler: Handler,
  attempt: number,
  opts: ConsumeOptions,
  log: Logger,
  queue: string,
  publisher?: string,
): Promise<Verdict> {
  const bytes = Buffer.byteLength(body, 'utf8')
  if (bytes > MAX_EVENT_BYTES) {
    log.warn('event dead-lettered: too large', { queue, bytes, max_bytes: MAX_EVENT_BYTES })
    return dead(`too large: ${bytes} bytes, at most ${MAX_EVENT_BYTES}`)
  }
  let raw: unknown
  try {
    raw = JSON.parse(body)
  } catch {
    log.warn('event dead-lettered: not JSON', { queue, bytes: body.length })
    return dead('not JSON')
  }
  const parsed = parseEnvelope(raw)
  if (!parsed.ok) {
    log.warn('event dead-lettered: invalid envelope', {
      queue,
      reason: parsed.reason,
      event_id: (raw as { id?: unknown })?.id,
    })
    return dead(`invalid envelope: ${parsed.reason}`)
  }
  const env = parsed.envelope
  if (!opts.topics.includes(env.type)) {
    log.warn('event dead-lettered: a type this queue does not take', { queue, event_id: env.id, type: env.type })
    return dead(`type ${env.type} is not bound to this queue`)
  }
  const owner = ownerOf(env.type)
  const expected = opts.publishers?.[owner]
  if (env.source !== owner || (opts.publishers && publisher !== expected)) {
    const reason =
      env.source !== owner
        ? `source ${env.source} does not own ${env.type} (its owner is ${owner})`
        : `published by broker user ${publisher ? JSON.stringify(publisher) : '(none)'}, ` +
          `not by ${owner}'s (${expected})`
    log.warn('event dead-lettered: not from its owner', {
      queue,
      event_id: env.id,
      type: env.type,
      source: env.source,
      publisher: publisher ?? null,
      reason,
    })
    return dead(`not from its owner: ${reason}`)
  }
  const fields = { queue, event_id: env.id, type: env.type, correlation_id: env.correlation_id, attempt }
  try {
    await handler(env)
    log.debug('event processed', fields)
    return { outcome: 'ack' }
  } catch (e) {
    if (unavailable(e)) {
      log.warn('event handler could not reach the database; will retry', { ...fields, error: (e as Error).message })
      return { outcome: 'unavailable' }
    }
    if (attempt >= opts.maxAttempts) {
      log.error('event dead-lettered: handler kept failing', { ...fields, error: e })
      return dead(`handler failed ${attempt} times: ${(e as Error)?.message ?? String(e)}`.slice(0, 1000))
    }
    log.warn('event handler failed; will retry', { ...fields, error: e })
    return { outcome: 'retry' }
  }
}

/** What a bus knows of a delivery besides its body: for its span and its metrics. */
export interface Delivery {
  readonly queue: string
  readonly routingKey: string
  /** The `traceparent` header the publisher sent, if any. */
  readonly traceparent?: string | undefined
  readonly metrics?: Pick<ServiceMetrics, 'consumed' | 'handlerDuration'> | undefined
  /** The publisher the broker validated (`user_id`; RabbitMQ only). */
  readonly publisher?: string | undefined
}

/**
 * consumeOne inside a consumer span (continuing the publisher's trace, so the log lines of the
 * handling carry its trace id), counting the outcome (applied, duplicate, retried, dead_lettered,
 * refused) and timing the handler. What both buses call.
 */
export function consumeMessage(
  body: string,
  handler: Handler,
  attempt: number,
  opts: ConsumeOptions,
  log: Logger,
  d: Delivery,
): Promise<Verdict> {
  return inSpan(
    `process ${d.routingKey}`,
    {
      kind: SpanKind.CONSUMER,
      traceparent: d.traceparent ?? null,
      attributes: {
        'messaging.system': 'rabbitmq',
        'messaging.destination.name': d.queue,
        'messaging.operation.type': 'process',
        'messaging.rabbitmq.destination.routing_key': d.routingKey,
      },
    },
    async (span) => {
      let ran = false
      let duplicate = false
      const observed: Handler = async (env) => {
        ran = true
        span?.setAttribute('messaging.message.id', env.id)
        const started = performance.now()
        try {
          duplicate = (await inDelivery(() => handler(env))).duplicate
        } finally {
          d.metrics?.handlerDuration.observe(
            { messaging_destination_name: d.queue },
            (performance.now() - started) / 1000,
          )
        }
      }
      const verdict = await consumeOne(body, observed, attempt, opts, log, d.queue, d.publisher)
      const { outcome } = verdict
      const counted: ConsumeOutcome =
        outcome === 'ack'
          ? duplicate
            ? 'duplicate'
            : 'applied'
          : outcome === 'dead'
            ? ran
              ? 'dead_lettered'
              : 'refused'
            : 'retried'
      d.metrics?.consumed.inc({ messaging_destination_name: d.queue, outcome: counted })
      span?.setAttribute('shop.consume.outcome', counted)
      if (counted !== 'applied' && counted !== 'duplicate') failed(span, `message ${counted}`)
      return verdict
    },
  )
}
