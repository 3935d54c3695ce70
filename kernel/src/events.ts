import * as v from 'valibot'
import { pick } from './fields.ts'
import { hasControlChars } from './text.ts'

/**
 * The events of the shop's contract, declared once: each event's valibot schema is its wire
 * shape (snake_case, what travels), and its type is inferred from it. Consumers validate what they
 * receive with these schemas (never trust the wire); producers build the inferred types.
 */
const uuid = v.pipe(v.string(), v.uuid())
const id = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER))
const version = v.pipe(v.number(), v.integer(), v.minValue(1))
const role = v.picklist(['USER', 'ADMIN'])
const money = v.pipe(v.string(), v.regex(/^\d{1,10}\.\d{2}$/))
const line = v.object({
  product_id: id,
  quantity: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1_000_000)),
})
// Strings are stored by consumers (replicas, history, the outbox's jsonb): a NUL would fail the
// write on every retry, so it is refused here and the message is dead at once.
const short = (max: number) =>
  v.pipe(
    v.string(),
    v.maxLength(max),
    v.check((s) => !hasControlChars(s, { lineBreaks: true }), 'must not contain control characters'),
  )

const user = v.object({
  id: uuid,
  username: short(64),
  email: short(320),
  role,
  version,
  /** Tokens whose `iat` is earlier are refused (ISO time); null when none. Absent in events older than it. */
  tokens_valid_after: v.optional(v.nullable(v.pipe(v.string(), v.isoTimestamp())), null),
})
const product = v.object({
  id,
  name: short(500),
  price: money,
  stock: v.pipe(v.number(), v.integer(), v.minValue(0)),
  category_id: id,
  /** Absent in events older than it: none. */
  sku: v.optional(v.nullable(short(64)), null),
  version,
})

const eventDataSchemas = {
  'user.created': user,
  'user.updated': user,
  'user.deleted': v.object({ id: uuid, version }),
  'product.created': product,
  'product.updated': product,
  'product.deleted': v.object({ id, version }),
  'order.placed': v.object({
    order_id: id,
    user_id: uuid,
    items: v.pipe(v.array(line), v.minLength(1), v.maxLength(1000)),
  }),
  'stock.reserved': v.object({ order_id: id }),
  'stock.rejected': v.object({
    order_id: id,
    reason: short(1000),
    product_ids: v.pipe(v.array(id), v.maxLength(1000)),
  }),
  'order.cancelled': v.object({ order_id: id, items: v.pipe(v.array(line), v.maxLength(1000)) }),
}

export type EventType = keyof typeof eventDataSchemas

/** Each event's data as a consumer receives it: what its schema outputs (defaults filled in). */
export type EventMap = { readonly [T in EventType]: Readonly<v.InferOutput<(typeof eventDataSchemas)[T]>> }

export type Role = v.InferOutput<typeof role>

/** What a use case records: the type and its data. The outbox adds id, time, source and correlation. */
export type DomainEvent = { [T in EventType]: { readonly type: T; readonly data: EventMap[T] } }[EventType]

/**
 * An event whose data is what its schema declares, taken from `source` (a record that has at least
 * those fields under their wire names): a producer whose entity maps by rename alone names none.
 */
export function eventOf<T extends EventType>(
  type: T,
  source: EventMap[T],
): { readonly type: T; readonly data: EventMap[T] } {
  const names = Object.keys(eventDataSchemas[type].entries) as (keyof EventMap[T])[]
  // Every name of the schema: the whole of EventMap[T].
  return { type, data: pick(source, names) as EventMap[T] }
}

const EVENT_TYPES = Object.keys(eventDataSchemas) as EventType[]

const EnvelopeShape = v.object({
  id: uuid,
  type: v.picklist(EVENT_TYPES),
  version: v.literal(1),
  occurred_at: v.pipe(v.string(), v.isoTimestamp()),
  source: v.picklist(['auth', 'catalog', 'order']),
  correlation_id: v.nullable(short(256)),
  data: v.unknown(),
})

type EnvelopeOf<T extends EventType> = Readonly<Omit<v.InferOutput<typeof EnvelopeShape>, 'type' | 'data'>> & {
  readonly type: T
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

export type ParsedEnvelope = { ok: true; envelope: Envelope } | { ok: false; reason: string }

/** Validates a received envelope and its data against the schema of its type. */
export function parseEnvelope(raw: unknown): ParsedEnvelope {
  const shape = v.safeParse(EnvelopeShape, raw)
  if (!shape.success) return { ok: false, reason: describe(shape.issues) }
  const data = v.safeParse(eventDataSchemas[shape.output.type], shape.output.data)
  if (!data.success) return { ok: false, reason: `data: ${describe(data.issues)}` }
  return { ok: true, envelope: { ...shape.output, data: data.output } as Envelope }
}

function describe(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path?.map((p) => String(p.key)).join('.') || '(root)'}: ${i.message}`)
    .join('; ')
}
