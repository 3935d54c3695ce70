import type { Envelope, EventType } from '@shop/kernel/events'
import type { Subscription } from './bus.ts'

/**
 * Every consumer queue of the shop. Each service declares all of them when it connects, so an
 * event published before its consumer ever started waits in its queue instead of being dropped
 * for lack of a binding. Subscriptions take their topics from here (`subscription`), so a queue's
 * topics are written once.
 */
export interface QueueSpec {
  readonly service: 'auth' | 'catalog' | 'order'
  readonly name: string
  readonly topics: readonly EventType[]
}

const USER_EVENTS = ['user.created', 'user.updated', 'user.deleted'] as const
const PRODUCT_EVENTS = ['product.created', 'product.updated', 'product.deleted'] as const

export const TOPOLOGY = [
  { service: 'catalog', name: 'users', topics: USER_EVENTS },
  { service: 'catalog', name: 'orders', topics: ['order.placed', 'order.cancelled'] },
  { service: 'order', name: 'users', topics: USER_EVENTS },
  { service: 'order', name: 'products', topics: PRODUCT_EVENTS },
  { service: 'order', name: 'stock', topics: ['stock.reserved', 'stock.rejected'] },
] as const satisfies readonly QueueSpec[]

type Queue = (typeof TOPOLOGY)[number]
export type ConsumingService = Queue['service']
export type QueueOf<S extends ConsumingService> = Extract<Queue, { service: S }>['name']
/** The event types a queue is bound to. */
export type TopicsOf<S extends ConsumingService, N extends string> = Extract<
  Queue,
  { service: S; name: N }
>['topics'][number]

/**
 * The subscription of one queue of the topology: its topics come from TOPOLOGY, and its handler
 * receives the union of exactly those envelopes (a `switch` on `type` narrows without casts).
 */
export function subscription<S extends ConsumingService, N extends QueueOf<S>>(
  service: S,
  name: N,
  handler: (envelope: Envelope<TopicsOf<S, N>>) => Promise<void>,
  o: { readonly grouped?: boolean } = {},
): Subscription {
  const spec = TOPOLOGY.find((q) => q.service === service && q.name === name)
  if (!spec) throw new Error(`no queue ${service}.${name} in the topology`)
  // The bus hands this handler only envelopes of the queue's topics (consumeOne checks the type).
  return {
    service,
    name,
    topics: spec.topics,
    handler: handler as (e: Envelope) => Promise<void>,
    ...(o.grouped ? { grouped: true } : {}),
  }
}

export const EXCHANGE = 'shop.events'
export const DEAD_LETTER_EXCHANGE = 'shop.events.dlx'

export const queueName = (prefix: string, q: { service: string; name: string }) => `${prefix}${q.service}.${q.name}`

/** The broker-side bound on redeliveries (x-delivery-limit), a backstop for the in-process count. */
export const DELIVERY_LIMIT = 20

/** The arguments of a consumer queue: quorum, dead-lettering to `<queue>.dead` through the DLX. */
export const queueArguments = (name: string, dlx: string, deliveryLimit = DELIVERY_LIMIT) => ({
  'x-queue-type': 'quorum',
  'x-dead-letter-exchange': dlx,
  'x-dead-letter-routing-key': name,
  'x-delivery-limit': deliveryLimit,
})
export const DEAD_QUEUE_ARGUMENTS = { 'x-queue-type': 'quorum' } as const

/**
 * The largest message the broker takes (its `max_message_size`: make broker sets it on the local
 * node, broker/rabbitmq.conf for compose, the RabbitmqCluster's config on Kubernetes): the
 * consumers' own limit (MAX_EVENT_BYTES), so a bigger message is refused at the publish, before
 * any queue keeps it or any consumer receives it.
 */
export const MAX_MESSAGE_BYTES = 1024 * 1024

/**
 * The bound of every dead-letter queue, by a policy of the broker set-up (not queue arguments: a
 * queue declared again with other arguments is refused, so existing queues could not take them).
 * Beyond it the oldest dead letters are dropped (overflow `drop-head`): a hard bound whatever puts
 * them there (the consumer's copy with its reason, or the broker's own dead-lettering, which
 * `reject-publish` would not stop), keeping the latest. Every dead-lettering is also a warning in
 * the consumer's log with the event id and the reason; shop_dead_letter_messages shows the fill.
 * 10,000 messages or 64 MiB, whichever comes first (dead letters are some 1 KB; at most
 * MAX_MESSAGE_BYTES each).
 */
export const DEAD_LETTER_LIMITS = { maxLength: 10_000, maxLengthBytes: 64 * 1024 * 1024 } as const
export const DEAD_LETTER_POLICY = 'shop-dead-letters'

/** The policy bounding the `.dead` queues, as RabbitMQ definitions hold it. */
export const deadLetterPolicy = (
  vhost: string,
  limits: { maxLength: number; maxLengthBytes: number } = DEAD_LETTER_LIMITS,
) => ({
  vhost,
  name: DEAD_LETTER_POLICY,
  pattern: '\\.dead$',
  'apply-to': 'queues',
  priority: 1,
  definition: { 'max-length': limits.maxLength, 'max-length-bytes': limits.maxLengthBytes, overflow: 'drop-head' },
})
