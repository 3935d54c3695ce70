import type { Q } from '@shop/platform/postgres/connect'
import type { OrderStatus } from '../../domain/status.ts'
import type { Orders } from '../../ports.ts'
import { type OrderItemRow, type OrderRow, itemRows, itemsJson, orderColumns, orderRow, toOrder } from './rows.ts'

type OrderWithItems = OrderRow & { items: OrderItemRow[] }

// The lines come along in the same round trip.
const selectOrders = (sql: Q) => sql`select ${orderColumns.of(sql, 'o')}, ${itemsJson(sql)} as items from orders o`

export function postgresOrders(sql: Q): Orders {
  const one = (rows: OrderWithItems[]) => (rows[0] ? toOrder(rows[0]) : undefined)
  return {
    async byId(id, lock = false) {
      return one(
        await sql<OrderWithItems[]>`${selectOrders(sql)} where o.id = ${id} ${lock ? sql`for update of o` : sql``}`,
      )
    },
    async list(filter, page) {
      const where = sql`where true
        ${filter.userId !== undefined ? sql`and o.user_id = ${filter.userId}` : sql``}
        ${filter.status !== undefined ? sql`and o.status = ${filter.status}` : sql``}`
      const [items, [count]] = await Promise.all([
        sql<
          OrderWithItems[]
        >`${selectOrders(sql)} ${where} order by o.created_at desc, o.id desc limit ${page.limit} offset
          ${page.offset}`,
        sql<{ n: number }[]>`select count(*)::int as n from orders o ${where}`,
      ])
      return { items: items.map(toOrder), total: count?.n ?? 0 }
    },
    async ofUser(userId, statuses, lock = false) {
      const rows = await sql<OrderWithItems[]>`
        ${selectOrders(sql)} where o.user_id = ${userId} and o.status in ${sql(statuses as OrderStatus[])}
        order by o.created_at, o.id ${lock ? sql`for update of o` : sql``}`
      return rows.map(toOrder)
    },
    async insert(o) {
      // The order and its lines in one statement (one round trip): the lines, typed by their table
      // (jsonb_populate_recordset), take the new id.
      const [row] = await sql<{ id: number }[]>`
        with o as (
          insert into orders ${sql(orderRow(o))}
          returning id
        ), lines as (
          insert into order_items
          select line.* from o,
            jsonb_populate_recordset(null::order_items, ${sql.json(itemRows(0, o.items))}) l,
            lateral jsonb_populate_record(l, jsonb_build_object('order_id', o.id)) line
        )
        select id from o`
      return { ...o, id: row!.id }
    },
    async update(o, opts = {}) {
      const { created_at: _created, user_id: _user, ...changed } = orderRow(o)
      const rows = await sql`update orders set ${sql(changed)} where id = ${o.id} returning id`
      if (!rows.length) throw new Error(`order ${o.id} does not exist`)
      // A status change keeps the lines as they are (two statements and their index writes saved
      // on every confirmation). Otherwise lines are few (at most 100) and rarely change: rewriting
      // them keeps this one simple statement pair.
      if (opts.lines === false) return o
      await sql`delete from order_items where order_id = ${o.id}`
      if (o.items.length) await sql`insert into order_items ${sql(itemRows(o.id, o.items))}`
      return o
    },
    async remove(id) {
      // Lines and history go with it (on delete cascade); its idempotency key stays, unlinked.
      const rows = await sql`delete from orders where id = ${id} returning id`
      return rows.length > 0
    },
  }
}
