import type { Q } from '@shop/platform/postgres/connect'
import type { Reservations } from '../../ports.ts'
import { type ReservationRow, reservationColumns, reservationRow, toReservation } from './rows.ts'

export function postgresReservations(sql: Q): Reservations {
  return {
    async byOrder(orderId, lock = false) {
      const [r] = await sql<ReservationRow[]>`
        select ${reservationColumns.of(sql)} from reservations where order_id = ${orderId} ${
          lock ? sql`for update` : sql``
        }`
      return r && toReservation(r)
    },
    async put(r) {
      await sql`
        insert into reservations ${sql(reservationRow(sql, r))}
        on conflict (order_id) do update set state = excluded.state, items = excluded.items, updated_at = now()`
    },
    async remove(orderId) {
      await sql`delete from reservations where order_id = ${orderId}`
    },
  }
}
