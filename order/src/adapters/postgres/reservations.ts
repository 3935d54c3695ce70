import type { Q } from '@shop/platform/postgres/connect'
import type { OrderLineData } from '@shop/kernel/event-types'
import type { Reservation } from '../../domain/reservation.ts'
import type { Reservations } from '../../ports.ts'

interface ReservationRow {
  order_id: number
  state: Reservation['state']
  items: OrderLineData[]
}

export function postgresReservations(sql: Q): Reservations {
  return {
    async byOrder(orderId, lock = false) {
      const [r] = await sql<ReservationRow[]>`
        select order_id, state, items from reservations where order_id = ${orderId} ${lock ? sql`for update` : sql``}`
      return r && { orderId: r.order_id, state: r.state, items: r.items }
    },
    async put(r) {
      await sql`
        insert into reservations (order_id, state, items) values (${r.orderId}, ${r.state},
          ${sql.json(r.items as never)})
        on conflict (order_id) do update set state = excluded.state, items = excluded.items, updated_at = now()`
    },
    async remove(orderId) {
      await sql`delete from reservations where order_id = ${orderId}`
    },
  }
}
