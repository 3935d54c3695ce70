import type { Q } from '@shop/platform/postgres/connect'
import type { Reservations } from '../../ports.ts'
import { type ReservationRow, reservationColumns, reservationRow, toReservation } from './rows.ts'

/** Orders whose request went unanswered for more than `seconds` (a read outside any transaction). */
export async function stalledRequests(sql: Q, seconds: number, limit: number): Promise<number[]> {
  const rows = await sql<{ order_id: number }[]>`
    select r.order_id from reservations r join orders o on o.id = r.order_id
    where r.state = 'requested' and o.status = 'pending' and r.updated_at < now() - make_interval(secs => ${seconds})
    order by r.updated_at limit ${limit}`
  return rows.map((r) => Number(r.order_id))
}

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
        on conflict (order_id) do update set state = excluded.state, items = excluded.items,
          request_id = excluded.request_id, attempts = excluded.attempts, updated_at = now()`
    },
    async remove(orderId) {
      await sql`delete from reservations where order_id = ${orderId}`
    },
    async stale(orderId, seconds) {
      const [r] = await sql<ReservationRow[]>`
        select ${reservationColumns.of(sql)} from reservations
        where order_id = ${orderId} and state = 'requested' and updated_at < now() - make_interval(secs => ${seconds})
        for update skip locked`
      return r && toReservation(r)
    },
    async resent(orderId) {
      await sql`update reservations set attempts = attempts + 1, updated_at = now() where order_id = ${orderId}`
    },
  }
}
