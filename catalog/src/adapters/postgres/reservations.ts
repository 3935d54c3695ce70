import type { TxSql } from '@shop/platform/postgres/connect'
import type { Reservation, ReservationStatus, StockLine } from '../../domain/stock.ts'
import type { Reservations } from '../../ports.ts'

interface Row {
  order_id: number
  status: ReservationStatus
  items: { product_id: number; quantity: number }[]
  reason: string | null
  product_ids: number[]
  created_at: Date
  updated_at: Date
}

const toReservation = (r: Row): Reservation => ({
  orderId: r.order_id,
  status: r.status,
  lines: r.items.map((i) => ({ productId: i.product_id, quantity: i.quantity })),
  reason: r.reason,
  productIds: r.product_ids,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

// Stored in the events' own shape (snake_case), so the row reads like the order.placed it answers.
const items = (lines: readonly StockLine[]) => lines.map((l) => ({ product_id: l.productId, quantity: l.quantity }))

export function postgresReservations(tx: TxSql): Reservations {
  return {
    async open(r) {
      // A second event for the same order waits here for the first one's commit, then finds its row:
      // a new round when the last one ended, nothing while the stock is reserved.
      const rows = await tx`
        insert into stock_reservations as s (order_id, status, items, reason, product_ids, created_at, updated_at)
        values (${r.orderId}, ${r.status}, ${tx.json(items(r.lines))}, ${r.reason}, ${tx.json([...r.productIds])},
          ${r.createdAt}, ${r.updatedAt})
        on conflict (order_id) do update set
          status = excluded.status, items = excluded.items, reason = excluded.reason,
          product_ids = excluded.product_ids, updated_at = excluded.updated_at
        where s.status in ('rejected', 'released')
        returning order_id`
      return rows.length === 1
    },

    async byOrder(orderId) {
      const [row] = await tx<Row[]>`select * from stock_reservations where order_id = ${orderId}`
      return row && toReservation(row)
    },

    async reject(orderId, why, now) {
      await tx`
        update stock_reservations set status = 'rejected', reason = ${why.reason},
          product_ids = ${tx.json([...why.productIds])}, updated_at = ${now}
        where order_id = ${orderId}`
    },

    async release(orderId, now) {
      // The status condition makes this exactly-once: a second release finds no 'reserved' row.
      const [row] = await tx<Row[]>`
        update stock_reservations set status = 'released', updated_at = ${now}
        where order_id = ${orderId} and status = 'reserved'
        returning *`
      return row && toReservation(row)
    },
  }
}
