import type { TxSql } from '@shop/platform/postgres/connect'
import type { Reservations } from '../../ports.ts'
import { type ReservationRow, reservationColumns, reservationRow, toReservation } from './rows.ts'

export function postgresReservations(tx: TxSql): Reservations {
  const columns = reservationColumns.of(tx)
  return {
    async open(r) {
      // A second event for the same order waits here for the first one's commit, then finds its row:
      // a new round when the last one ended, nothing while the stock is reserved.
      const rows = await tx`
        insert into stock_reservations ${tx(reservationRow(tx, r))}
        on conflict (order_id) do update set
          status = excluded.status, items = excluded.items, reason = excluded.reason,
          product_ids = excluded.product_ids, updated_at = excluded.updated_at
        where stock_reservations.status in ('rejected', 'released')
        returning order_id`
      return rows.length === 1
    },

    async byOrder(orderId) {
      const [row] = await tx<ReservationRow[]>`select ${columns} from stock_reservations where order_id = ${orderId}`
      return row && toReservation(row)
    },

    async reject(orderId, why, now) {
      await tx`
        update stock_reservations set status = 'rejected', reason = ${why.reason}, product_ids =
          ${tx.json([...why.productIds])}, updated_at = ${now}
        where order_id = ${orderId}`
    },

    async release(orderId, now) {
      // The status condition makes this exactly-once: a second release finds no 'reserved' row.
      const [row] = await tx<ReservationRow[]>`
        update stock_reservations set status = 'released', updated_at = ${now}
        where order_id = ${orderId} and status = 'reserved'
        returning ${columns}`
      return row && toReservation(row)
    },
  }
}
