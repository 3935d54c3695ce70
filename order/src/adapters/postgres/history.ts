import type { Q } from '@shop/platform/postgres/connect'
import type { StatusChange } from '../../domain/history.ts'
import type { History } from '../../ports.ts'
import { type HistoryRow, historyColumns, historyRow, toStatusChange } from './rows.ts'

export function postgresHistory(sql: Q): History {
  return {
    async add(c: StatusChange) {
      await sql`insert into order_status_history ${sql(historyRow(sql, c))}`
    },
    async of(orderId) {
      const rows = await sql<HistoryRow[]>`
        select ${historyColumns.of(sql)} from order_status_history where order_id = ${orderId} order by id`
      return rows.map(toStatusChange)
    },
  }
}
