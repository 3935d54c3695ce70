/**
 * The events of the shop's contract as plain types (no validation library here, so domain code may import
 * them). Their valibot schemas live in events.ts.
 */
export type Role = 'USER' | 'ADMIN'

export interface UserData {
  readonly id: string
  readonly username: string
  readonly email: string
  readonly role: Role
  readonly version: number
  /** Tokens whose `iat` is earlier are refused (ISO time); null when none. Absent in events older than it. */
  readonly tokens_valid_after?: string | null
}
export interface DeletedData<Id> {
  readonly id: Id
  readonly version: number
}
export interface ProductData {
  readonly id: number
  readonly name: string
  /** 2-decimal string */
  readonly price: string
  readonly stock: number
  readonly category_id: number
  readonly version: number
}
export interface OrderLineData {
  readonly product_id: number
  readonly quantity: number
}

export interface EventMap {
  'user.created': UserData
  'user.updated': UserData
  'user.deleted': DeletedData<string>
  'product.created': ProductData
  'product.updated': ProductData
  'product.deleted': DeletedData<number>
  'order.placed': { readonly order_id: number; readonly user_id: string; readonly items: readonly OrderLineData[] }
  'stock.reserved': { readonly order_id: number }
  'stock.rejected': { readonly order_id: number; readonly reason: string; readonly product_ids: readonly number[] }
  'order.cancelled': { readonly order_id: number; readonly items: readonly OrderLineData[] }
}

export type EventType = keyof EventMap

/** What a use case records: the type and its data. The outbox adds id, time, source and correlation. */
export type DomainEvent = { [T in EventType]: { readonly type: T; readonly data: EventMap[T] } }[EventType]

interface EnvelopeOf<T extends EventType> {
  readonly id: string
  readonly type: T
  readonly version: 1
  readonly occurred_at: string
  readonly source: 'auth' | 'catalog' | 'order'
  readonly correlation_id: string | null
  readonly data: EventMap[T]
}

/**
 * An event on the wire. A discriminated union over its types (distributive): a `switch` on
 * `type` narrows `data` without casts. `Envelope<'order.placed' | 'order.cancelled'>` is the
 * union of those two.
 */
export type Envelope<T extends EventType = EventType> = T extends EventType ? EnvelopeOf<T> : never

export function makeEnvelope<E extends DomainEvent>(
  source: Envelope['source'],
  event: E,
  correlationId: string | null,
  id: string,
  now: Date,
): Envelope<E['type']> {
  return {
    id,
    type: event.type,
    version: 1,
    occurred_at: now.toISOString(),
    source,
    correlation_id: correlationId,
    data: event.data,
  } as Envelope<E['type']>
}
