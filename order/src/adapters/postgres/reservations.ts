import type { Q } from '@shop/platform/postgres/connect'
import type { Reservation } from '../../domain/reservation.ts'
import type { Reservations } from '../../ports.ts'

interface ReservationRow {
  order_id: number
  state: Reservation['state']
  // Stored in the events' own shape (snake_case), as rows written before the lines were camelCase.
  items: { product_id: number; quantity: number }[]
}

const toReservation = (r: ReservationRow): Reservation => ({
  orderId: r.order_id,
  state: r.state,
  items: r.items.map((i) => ({ productId: i.product_id, quantity: i.quantity })),
})

const itemsRow = (r: Reservation): ReservationRow['items'] =>
  r.items.map((l) => ({ product_id: l.productId, quantity: l.quantity }))

export function postgresReservations(sql: Q): Reservations {
  return {
    async byOrder(orderId, lock = false) {
      const [r] = await sql<ReservationRow[]>`
        select order_id, state, items from reservations where order_id = ${orderId} ${lock ? sql`for update` : sql``}`
      return r && toReservation(r)
    },
    async put(r) {
      await sql`
        insert into reservations (order_id, state, items) values (${r.orderId}, ${r.state}, ${sql.json(itemsRow(r))})
        on conflict (order_id) do update set state = excluded.state, items = excluded.items, updated_at = now()`
    },
    async remove(orderId) {
      await sql`delete from reservations where order_id = ${orderId}`
    },
  }
}
