import type { Q } from '@shop/platform/postgres/connect'
import type { Order, OrderLine } from '../../domain/order.ts'
import type { OrderStatus } from '../../domain/status.ts'
import type { Orders } from '../../ports.ts'

interface OrderRow {
  id: number
  user_id: string
  status: OrderStatus
  total: string
  total_quantity: number
  shipping_address: string | null
  created_at: Date
  updated_at: Date
  items: { product_id: number; name: string; unit_price: string; quantity: number; line_total: string }[]
}

const toOrder = (r: OrderRow): Order => ({
  id: r.id,
  userId: r.user_id,
  status: r.status,
  items: r.items.map((i) => ({
    productId: i.product_id,
    name: i.name,
    unitPrice: i.unit_price,
    quantity: i.quantity,
    lineTotal: i.line_total,
  })),
  totalQuantity: r.total_quantity,
  total: r.total,
  shippingAddress: r.shipping_address,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

// The lines come along in the same round trip; money as text, since json would make it a float.
const selectOrders = (sql: Q) => sql`
  select o.*, coalesce((
    select json_agg(json_build_object(
      'product_id', i.product_id, 'name', i.name, 'unit_price', i.unit_price::text,
      'quantity', i.quantity, 'line_total', i.line_total::text) order by i.line_no)
    from order_items i where i.order_id = o.id), '[]'::json) as items
  from orders o`

async function writeLines(sql: Q, orderId: number, items: readonly OrderLine[]): Promise<void> {
  const rows = items.map((l, i) => ({
    order_id: orderId,
    line_no: i + 1,
    product_id: l.productId,
    name: l.name,
    unit_price: l.unitPrice,
    quantity: l.quantity,
    line_total: l.lineTotal,
  }))
  if (rows.length) await sql`insert into order_items ${sql(rows)}`
}

export function postgresOrders(sql: Q): Orders {
  const one = (rows: OrderRow[]) => (rows[0] ? toOrder(rows[0]) : undefined)
  return {
    async byId(id, lock = false) {
      return one(await sql<OrderRow[]>`${selectOrders(sql)} where o.id = ${id} ${lock ? sql`for update of o` : sql``}`)
    },
    async list(filter, page) {
      const where = sql`where true
        ${filter.userId !== undefined ? sql`and o.user_id = ${filter.userId}` : sql``}
        ${filter.status !== undefined ? sql`and o.status = ${filter.status}` : sql``}`
      const [items, [count]] = await Promise.all([
        sql<OrderRow[]>`${selectOrders(sql)} ${where} order by o.created_at desc, o.id desc
          limit ${page.limit} offset ${page.offset}`,
        sql<{ n: number }[]>`select count(*)::int as n from orders o ${where}`,
      ])
      return { items: items.map(toOrder), total: count?.n ?? 0 }
    },
    async ofUser(userId, statuses, lock = false) {
      const rows = await sql<OrderRow[]>`
        ${selectOrders(sql)} where o.user_id = ${userId} and o.status in ${sql(statuses as OrderStatus[])}
        order by o.created_at, o.id ${lock ? sql`for update of o` : sql``}`
      return rows.map(toOrder)
    },
    async insert(o) {
      // The order and its lines in one statement (one round trip): the lines take the new id.
      const l = o.items
      const [row] = await sql<{ id: number }[]>`
        with o as (
          insert into orders (user_id, status, total, total_quantity, shipping_address, created_at, updated_at)
          values (${o.userId}, ${o.status}, ${o.total}, ${o.totalQuantity}, ${o.shippingAddress}, ${o.createdAt},
            ${o.updatedAt})
          returning id
        ), lines as (
          insert into order_items (order_id, line_no, product_id, name, unit_price, quantity, line_total)
          select o.id, l.line_no, l.product_id, l.name, l.unit_price, l.quantity, l.line_total
          from o, unnest(${l.map((_, i) => i + 1)}::smallint[], ${l.map((x) => x.productId)}::bigint[],
            ${l.map((x) => x.name)}::text[],
                         ${l.map((x) => x.unitPrice)}::numeric[], ${l.map((x) => x.quantity)}::int[],
                           ${l.map((x) => x.lineTotal)}::numeric[])
            as l(line_no, product_id, name, unit_price, quantity, line_total)
        )
        select id from o`
      return { ...o, id: row!.id }
    },
    async update(o, opts = {}) {
      const rows = await sql`
        update orders set status = ${o.status}, total = ${o.total}, total_quantity = ${o.totalQuantity},
          shipping_address = ${o.shippingAddress}, updated_at = ${o.updatedAt}
        where id = ${o.id}
        returning id`
      if (!rows.length) throw new Error(`order ${o.id} does not exist`)
      // A status change keeps the lines as they are (two statements and their index writes saved
      // on every confirmation). Otherwise lines are few (at most 100) and rarely change: rewriting
      // them keeps this one simple statement pair.
      if (opts.lines === false) return o
      await sql`delete from order_items where order_id = ${o.id}`
      await writeLines(sql, o.id, o.items)
      return o
    },
    async remove(id) {
      // Lines and history go with it (on delete cascade); its idempotency key stays, unlinked.
      const rows = await sql`delete from orders where id = ${id} returning id`
      return rows.length > 0
    },
  }
}
