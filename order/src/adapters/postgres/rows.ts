import { columns } from '@shop/platform/postgres/columns'
import type { Q } from '@shop/platform/postgres/connect'
import type { StatusChange } from '../../domain/history.ts'
import type { NewOrder, Order, OrderLine } from '../../domain/order.ts'
import type { ReplicaProduct } from '../../domain/product.ts'
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

/** An order_items row (read whole: see `itemsJson`; a type, not an interface, so it passes as json). */
export type OrderItemRow = {
  order_id: number
  line_no: number
  product_id: number
  name: string
  unit_price: string
  quantity: number
  line_total: string
  sku: string | null
}

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
  id: r.id,
  userId: r.user_id,
  status: r.status,
  items: r.items.map((i) => ({
    productId: i.product_id,
    name: i.name,
    unitPrice: i.unit_price,
    quantity: i.quantity,
    lineTotal: i.line_total,
    sku: i.sku,
  })),
  totalQuantity: r.total_quantity,
  total: r.total,
  shippingAddress: r.shipping_address,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

/** What an order write sets (the id is the database's). */
export const orderRow = (o: NewOrder): Omit<OrderRow, 'id'> => ({
  user_id: o.userId,
  status: o.status,
  total: o.total,
  total_quantity: o.totalQuantity,
  shipping_address: o.shippingAddress,
  created_at: o.createdAt,
  updated_at: o.updatedAt,
})

export const itemRows = (orderId: number, items: readonly OrderLine[]): OrderItemRow[] =>
  items.map((l, i) => ({
    order_id: orderId,
    line_no: i + 1,
    product_id: l.productId,
    name: l.name,
    unit_price: l.unitPrice,
    quantity: l.quantity,
    line_total: l.lineTotal,
    sku: l.sku,
  }))

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

/** The replica of a catalog product; a tombstone keeps only id and version. */
export interface ReplicaRow {
  id: number
  name: string | null
  price: string | null
  stock: number | null
  category_id: number | null
  sku: string | null
  version: number
  deleted: boolean
}

export const replicaColumns = columns<ReplicaRow>()(
  'id',
  'name',
  'price',
  'stock',
  'category_id',
  'sku',
  'version',
  'deleted',
)

export const toReplicaProduct = (r: ReplicaRow): ReplicaProduct =>
  r.deleted
    ? { id: r.id, deleted: true, version: r.version }
    : {
        id: r.id,
        deleted: false,
        name: r.name!,
        price: r.price!,
        stock: r.stock!,
        categoryId: r.category_id!,
        sku: r.sku,
        version: r.version,
      }

export const replicaRow = (p: ReplicaProduct): ReplicaRow =>
  p.deleted
    ? {
        id: p.id,
        name: null,
        price: null,
        stock: null,
        category_id: null,
        sku: null,
        version: p.version,
        deleted: true,
      }
    : {
        id: p.id,
        name: p.name,
        price: p.price,
        stock: p.stock,
        category_id: p.categoryId,
        sku: p.sku,
        version: p.version,
        deleted: false,
      }

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
  orderId: r.order_id,
  state: r.state,
  items: r.items.map((i) => ({ productId: i.product_id, quantity: i.quantity })),
  requestId: r.request_id,
  attempts: r.attempts,
})

/** A reservation as written, items wrapped by `q` as json. */
export const reservationRow = (q: Q, r: Reservation) => ({
  order_id: r.orderId,
  state: r.state,
  items: q.json(r.items.map((l) => ({ product_id: l.productId, quantity: l.quantity }))),
  request_id: r.requestId ?? null,
  attempts: r.attempts ?? 1,
})
