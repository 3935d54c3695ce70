import { nulls, omit, pick } from '@shop/kernel/fields'
import { type SnakeKeys, camelKeys, snakeKeys, snakeNames } from '@shop/kernel/wire'
import { columns } from '@shop/platform/postgres/columns'
import type { Q } from '@shop/platform/postgres/connect'
import type { StatusChange } from '../../domain/history.ts'
import type { NewOrder, Order, OrderLine } from '../../domain/order.ts'
import { REPLICA_FIELDS, type ReplicaFields, type ReplicaProduct } from '../../domain/product.ts'
import type { Reservation } from '../../domain/reservation.ts'
import type { Actor, OrderStatus } from '../../domain/status.ts'

// Each table's columns and its row mappers, here once: the statements in this folder read and
// write rows through these only.

export interface OrderRow {
  id: number
  user_id: string
  status: OrderStatus
  total: string
  total_quantity: number
  shipping_address: string | null
  created_at: Date
  updated_at: Date
}

export const orderColumns = columns<OrderRow>()(
  'id',
  'user_id',
  'status',
  'total',
  'total_quantity',
  'shipping_address',
  'created_at',
  'updated_at',
)

/**
 * An order_items row: the line's fields under their column names, and where it stands (read whole:
 * see `itemsJson`; a type, not an interface, so it passes as json).
 */
export type OrderItemRow = { order_id: number; line_no: number } & SnakeKeys<OrderLine>

/**
 * An order's lines as one json value of OrderItemRow, in line order, so they come in the same
 * round trip as the order (`o`). Money as text: json would make numeric a float.
 */
export const itemsJson = (q: Q) => q`coalesce((
    select jsonb_agg(
      to_jsonb(i) || jsonb_build_object('unit_price', i.unit_price::text, 'line_total', i.line_total::text)
      order by i.line_no)
    from order_items i where i.order_id = o.id), '[]'::jsonb)`

export const toOrder = (r: OrderRow & { items: OrderItemRow[] }): Order => ({
  ...camelKeys(omit(r, ['items'])),
  items: r.items.map((i) => camelKeys(omit(i, ['order_id', 'line_no']))),
})

const orderWritten = orderColumns.names.filter((n): n is Exclude<keyof OrderRow, 'id'> => n !== 'id')

/** What an order write sets (the id is the database's). */
export const orderRow = (o: NewOrder): Omit<OrderRow, 'id'> => pick(snakeKeys(o), orderWritten)

export const itemRows = (orderId: number, items: readonly OrderLine[]): OrderItemRow[] =>
  items.map((l, i) => ({ order_id: orderId, line_no: i + 1, ...snakeKeys(l) }))

export interface HistoryRow {
  order_id: number
  from_status: OrderStatus | null
  to_status: OrderStatus
  actor: Actor
  changed_by: string
  reason: string | null
  product_ids: number[] | null
  changed_at: Date
}

export const historyColumns = columns<HistoryRow>()(
  'order_id',
  'from_status',
  'to_status',
  'actor',
  'changed_by',
  'reason',
  'product_ids',
  'changed_at',
)

export const toStatusChange = (r: HistoryRow): StatusChange => ({
  orderId: r.order_id,
  from: r.from_status,
  to: r.to_status,
  actor: r.actor,
  by: r.changed_by,
  reason: r.reason,
  productIds: r.product_ids,
  at: r.changed_at,
})

/** A status change as written, product_ids wrapped by `q` as json (an array would otherwise be a SQL array). */
export const historyRow = (q: Q, c: StatusChange) => ({
  order_id: c.orderId,
  from_status: c.from,
  to_status: c.to,
  actor: c.actor,
  changed_by: c.by,
  reason: c.reason,
  product_ids: c.productIds === null ? null : q.json([...c.productIds]),
  changed_at: c.at,
})

/** The replica of a catalog product: a tombstone keeps only id and version, its other columns null. */
export type ReplicaRow = { id: number; version: number; deleted: boolean } & {
  [K in keyof SnakeKeys<ReplicaFields>]: SnakeKeys<ReplicaFields>[K] | null
}

/** The columns of the fields the replica keeps (REPLICA_FIELDS). */
const replicaFields = snakeNames(REPLICA_FIELDS)

export const replicaColumns = columns<ReplicaRow>()('id', ...replicaFields, 'version', 'deleted')

export const toReplicaProduct = (r: ReplicaRow): ReplicaProduct =>
  r.deleted
    ? { id: r.id, deleted: true, version: r.version }
    : // A live row has its fields as a live replica wrote them (the table's check: not null where required).
      { id: r.id, deleted: false, ...(camelKeys(pick(r, replicaFields)) as ReplicaFields), version: r.version }

export const replicaRow = (p: ReplicaProduct): ReplicaRow =>
  p.deleted
    ? { id: p.id, ...nulls(replicaFields), version: p.version, deleted: true }
    : { id: p.id, ...snakeKeys(pick(p, REPLICA_FIELDS)), version: p.version, deleted: false }

export interface ReservationRow {
  order_id: number
  state: Reservation['state']
  // Stored in the events' own shape (snake_case), as rows written before the lines were camelCase.
  items: { product_id: number; quantity: number }[]
  request_id: string | null
  attempts: number
}

export const reservationColumns = columns<ReservationRow>()('order_id', 'state', 'items', 'request_id', 'attempts')

export const toReservation = (r: ReservationRow): Reservation => ({
  ...camelKeys(omit(r, ['items'])),
  items: r.items.map((i) => camelKeys(i)),
})

/** A reservation as written, items wrapped by `q` as json (the defaults of a record written before them). */
export const reservationRow = (q: Q, r: Reservation) => ({
  order_id: r.orderId,
  state: r.state,
  items: q.json(r.items.map((l) => snakeKeys(pick(l, ['productId', 'quantity'])))),
  request_id: r.requestId ?? null,
  attempts: r.attempts ?? 1,
})
