import type { EventType } from '@shop/kernel/events'
import { TOPOLOGY } from './topology.ts'

/**
 * Who may publish what: the one ownership table of the shop. An event is applied only when its
 * `source` (and, on RabbitMQ, the broker user that published it, validated by the broker through
 * the AMQP `user_id` property) is the owner of its type. The broker's topic permissions are
 * derived from the same table (see brokerDefinitions), so the broker refuses a service's publish
 * of a routing key it does not own before any consumer sees it.
 */
export type Service = 'auth' | 'catalog' | 'order'
export const SERVICES: readonly Service[] = ['auth', 'catalog', 'order']

type Family<T extends string> = T extends `${infer F}.${string}` ? F : never

/** By the type's first word: `user.*` auth; `product.*`, `stock.*` catalog; `order.*` order. */
export const OWNERS: Readonly<Record<Family<EventType>, Service>> = {
  user: 'auth',
  product: 'catalog',
  stock: 'catalog',
  order: 'order',
}

export function ownerOf(type: EventType): Service {
  return OWNERS[type.slice(0, type.indexOf('.')) as Family<EventType>]
}

/** The families of routing keys a service may publish. */
export const ownedFamilies = (service: Service): string[] =>
  Object.entries(OWNERS).flatMap(([family, owner]) => (owner === service ? [family] : []))

/**
 * The RabbitMQ user each service connects as. Consumers compare a message's validated `user_id`
 * with the owner's name here, so these names are fixed; passwords are settings.
 */
export const BROKER_USERS: Readonly<Record<Service, string>> = {
  auth: 'shop-auth',
  catalog: 'shop-catalog',
  order: 'shop-order',
}

/** The routing keys a service's queues are bound to (its topic read permission). */
export const consumedTypes = (service: Service): EventType[] => [
  ...new Set(TOPOLOGY.filter((q) => q.service === service).flatMap((q) => [...q.topics])),
]
