import type { Q } from '@shop/platform/postgres/connect'
import type { StatusChange } from '../../domain/history.ts'
import type { Actor, OrderStatus } from '../../domain/status.ts'
import type { History } from '../../ports.ts'

interface HistoryRow {
  order_id: number
  from_status: OrderStatus | null
  to_status: OrderStatus
  actor: Actor
  changed_by: string
  reason: string | null
  product_ids: number[] | null
  changed_at: Date
}

export function postgresHistory(sql: Q): History {
  return {
    async add(c: StatusChange) {
      await sql`
        insert into order_status_history (order_id, from_status, to_status, actor, changed_by, reason, product_ids,
          changed_at)
        values (${c.orderId}, ${c.from}, ${c.to}, ${c.actor}, ${c.by}, ${c.reason},
          ${c.productIds === null ? null : sql.json([...c.productIds])}, ${c.at})`
    },
    async of(orderId) {
      const rows = await sql<HistoryRow[]>`select * from order_status_history where order_id = ${orderId} order by id`
      return rows.map((r) => ({
        orderId: r.order_id,
        from: r.from_status,
        to: r.to_status,
        actor: r.actor,
        by: r.changed_by,
        reason: r.reason,
        productIds: r.product_ids,
        at: r.changed_at,
      }))
    },
  }
}
