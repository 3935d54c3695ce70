import { type EventType, parseEnvelope } from '@shop/kernel/events'
import { inDelivery } from '@shop/kernel/inbox'
import type { Logger } from '../log.ts'
import type { ConsumeOutcome, ServiceMetrics } from '../observability/metrics.ts'
import { SpanKind, failed, inSpan } from '../observability/tracing.ts'
import type { EventSignature, Handler } from './bus.ts'
import { ownerOf, type Service } from './ownership.ts'
import type { EventKeyring } from './signing.ts'

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
  /** The public keys of every service: a message is read only when one of its owner's keys signed it. */
  readonly keys: EventKeyring
}

export const DEFAULT_MAX_ATTEMPTS = 5

/**
 * No event of the contract comes near this (the largest, an order.placed of 1000 lines, is some
 * 50 KB); a bigger message is refused before it is verified, decoded or parsed, whatever fields
 * carry the bulk. The broker refuses bigger ones already (max_message_size, the same figure: see
 * MAX_MESSAGE_BYTES in topology.ts); this is the consumer's own wall.
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

/** What came with a message besides its body. */
export interface Received {
  readonly queue: string
  /** The publisher the broker validated (`user_id`; RabbitMQ only). */
  readonly publisher?: string | undefined
  /** The signature headers, as they came (unchecked). */
  readonly signature?: Partial<EventSignature> | undefined
  /** The message id property (unchecked: only for the log line of a message refused before parsing). */
  readonly messageId?: string | undefined
}

const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * What both bus adapters do with one received message, in this order: refuse it when it is too
 * big; verify its signature over the bytes as they came (nothing is decoded or parsed before:
 * the bytes of anyone but a shop service are never read); parse and validate it (a malformed or
 * wrongly typed message is dead at once: retrying cannot fix it); check that its owner published
 * it (the signing key, the `source` and, on RabbitMQ, the broker-validated `user_id` are all the
 * owner's); run the handler, and say whether to ack, retry, dead-letter (and why), or wait for the
 * database. Never throws.
 *
 * This is the one place an incoming event's signature, shape, type and publisher are checked: a
 * handler receives only a valid envelope of one of its queue's topics, from its owner, and need
 * not check any of them again.
 */
export async function consumeOne(
  body: Uint8Array,
  handler: Handler,
  attempt: number,
  opts: ConsumeOptions,
  log: Logger,
  r: Received,
): Promise<Verdict> {
  const queue = r.queue
  const bytes = body.byteLength
  if (bytes > MAX_EVENT_BYTES) {
    log.warn('event dead-lettered: too large', { queue, bytes, max_bytes: MAX_EVENT_BYTES })
    return dead(`too large: ${bytes} bytes, at most ${MAX_EVENT_BYTES}`)
  }
  const refuse = (reason: string, fields: Record<string, unknown>) => {
    log.warn('event dead-lettered: not from its owner', { queue, ...fields, publisher: r.publisher ?? null, reason })
    return dead(`not from its owner: ${reason}`)
  }
  const verified = await opts.keys.verify(body, r.signature)
  if (!verified.ok) {
    // Nothing of the body is read: the id is the message property's, as it came.
    return refuse(verified.reason, { event_id: r.messageId?.slice(0, 100) ?? null, key_id: r.signature?.keyId ?? null })
  }
  let raw: unknown
  try {
    raw = JSON.parse(decoder.decode(body))
  } catch {
    log.warn('event dead-lettered: not JSON', { queue, bytes })
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
  const reason =
    verified.service !== owner
      ? `signed with ${verified.service}'s key ${verified.keyId}, not by ${owner}, the owner of ${env.type}`
      : env.source !== owner
        ? `source ${env.source} does not own ${env.type} (its owner is ${owner})`
        : opts.publishers && r.publisher !== expected
          ? `published by broker user ${r.publisher ? JSON.stringify(r.publisher) : '(none)'}, ` +
            `not by ${owner}'s (${expected})`
          : undefined
  if (reason) return refuse(reason, { event_id: env.id, type: env.type, source: env.source, key_id: verified.keyId })
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
  /** The signature headers as they came, and the message id property (see Received). */
  readonly signature?: Partial<EventSignature> | undefined
  readonly messageId?: string | undefined
}

/**
 * consumeOne inside a consumer span (continuing the publisher's trace, so the log lines of the
 * handling carry its trace id), counting the outcome (applied, duplicate, retried, dead_lettered,
 * refused) and timing the handler. What both buses call.
 */
export function consumeMessage(
  body: Uint8Array,
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
      const verdict = await consumeOne(body, observed, attempt, opts, log, d)
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
