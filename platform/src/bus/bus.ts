import type { Envelope, EventType } from '@shop/kernel/events'
import type { ServiceMetrics } from '../observability/metrics.ts'

/**
 * The one Bus port. Adapters: RabbitMQ (amqp.ts) and in memory (memory.ts).
 *
 * Publishing happens only from the outbox relay, never inside a request.
 * A consumer handler receives a validated envelope of one of its subscription's topics (checked
 * once, on the way in, by consume.ts: handlers trust both); it resolves when the effect is committed
 * (the message is then acked) and throws when it failed (the message is retried a bounded number
 * of times, then dead-lettered). Messages that fail validation are dead-lettered at once, and so
 * are those without a good signature by their owner's key (checked first, before any parsing).
 */
export type Handler = (envelope: Envelope) => Promise<void>

export interface Subscription {
  /** The consuming service (queues are named `<service>.<name>`). */
  readonly service: string
  /** The queue's name within the service, e.g. `products` → `order.products`. */
  readonly name: string
  readonly topics: readonly EventType[]
  readonly handler: Handler
  /**
   * Whether the deliveries the prefetch window holds may be handled as one group: their
   * transactions share one commit (bus/group.ts). For handlers whose every write goes through
   * the store's transaction (an inbox claim and the effect); the RabbitMQ bus honours it.
   */
  readonly grouped?: boolean
  /** Where the consumer's outcomes and handler durations are counted (the boot sets it). */
  readonly metrics?: Pick<ServiceMetrics, 'consumed' | 'handlerDuration'>
}

/** An Ed25519 signature (base64url) and the id of the key that made it (see signing.ts). */
export interface EventSignature {
  readonly keyId: string
  readonly value: string
}

/**
 * An event as it is published: `body` is the envelope's JSON text, sent as it is, and `signature`
 * is its publisher's signature of exactly those bytes (signEvents makes both). `envelope` gives the
 * routing key and the message properties; `traceparent` travels as the W3C header.
 */
export interface OutgoingEvent {
  readonly envelope: Envelope
  readonly body: Uint8Array
  readonly signature: EventSignature
  readonly traceparent?: string | null | undefined
}

export interface Bus {
  /** Resolves once the broker has confirmed every event (publisher confirms). */
  publish(events: readonly OutgoingEvent[]): Promise<void>
  /** Starts consuming; topology is declared (and redeclared on every reconnect). */
  subscribe(s: Subscription): Promise<void>
  /** Stops consuming: no new deliveries; in-flight handlers finish and are acked. */
  stopConsuming(): Promise<void>
  /** For /health/ready: resolves when the bus is usable. */
  ping(): Promise<void>
  /**
   * Each queue consumed and whether its consumer is attached now (for /health/ready and the
   * shop_consumer_attached gauge). A bus without the notion (a test's) leaves it out.
   */
  attachment?(): Record<string, boolean>
  /**
   * The messages waiting in each dead-letter queue of `service` (`<queue>.dead`), for the
   * shop_dead_letter_messages gauge; a queue that cannot be read now is left out.
   */
  deadLetters?(service: string): Promise<Record<string, number>>
  close(): Promise<void>
}
