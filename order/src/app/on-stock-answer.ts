import type { EventMeta } from '@shop/kernel/app'
import { once } from '@shop/kernel/inbox'
import { orderCancelled } from '../domain/events.ts'
import type { Order } from '../domain/order.ts'
import { type Reservation, onRejected, onReserved } from '../domain/reservation.ts'
import type { OrderDeps, OrderTx } from '../ports.ts'
import { moveBySystem } from './support/status-change.ts'
import { requestStock } from './support/stock.ts'

export type StockOutcome = 'confirmed' | 'rejected' | 'replaced' | 'released' | 'dropped' | 'ignored' | 'duplicate'

/** The catalog's answer to the outstanding request of an order: reserved. */
export interface StockReserved {
  readonly orderId: number
}

/** The catalog's answer: not reserved, why, and which products it could not reserve. */
export interface StockRejected {
  readonly orderId: number
  readonly reason: string
  readonly productIds: readonly number[]
}

/** What a stock answer's handler is given: the answer, and the order it answers with its stock record, both locked. */
interface Answered<A> {
  readonly tx: OrderTx
  readonly answer: A
  /** Either may be gone: a deleted order, no request outstanding. */
  readonly order: Order | undefined
  readonly r: Reservation | undefined
  readonly clock: OrderDeps['clock']
  readonly meta: EventMeta
}

/** The use case that handles one type of stock answer once (inbox): `effect` decides what the answer does. */
const stockAnswer =
  <A extends { readonly orderId: number }>(
    type: 'stock.reserved' | 'stock.rejected',
    effect: (a: Answered<A>) => Promise<StockOutcome>,
  ) =>
  ({ store, clock }: OrderDeps, answer: A, meta: EventMeta): Promise<StockOutcome> =>
    once(store, meta, type, async (tx) => {
      const { orderId } = answer
      const [order, r] = await Promise.all([tx.orders.byId(orderId, true), tx.reservations.byOrder(orderId, true)])
      return effect({ tx, answer, order, r, clock, meta })
    })

/** The catalog reserved the stock of the outstanding request (see domain/reservation.ts). */
export const onStockReserved = stockAnswer<StockReserved>(
  'stock.reserved',
  async ({ tx, answer: { orderId }, order, r, clock, meta }) => {
    const d = onReserved(order, r)
    switch (d.kind) {
      case 'confirm':
        // Entering confirmed records the stock as held; entering rejected forgets the request (domain/status.ts).
        await moveBySystem(tx, order!, 'confirmed', clock.now(), meta.correlationId)
        return 'confirmed'
      case 'replace':
        await tx.events.add(orderCancelled(orderId, d.release), meta.correlationId)
        await requestStock(tx, order!, meta.correlationId)
        return 'replaced'
      case 'release':
        await tx.events.add(orderCancelled(orderId, d.release), meta.correlationId)
        await tx.reservations.remove(orderId)
        return 'released'
      case 'ignore':
        return 'ignored'
    }
  },
)

/** The catalog could not reserve the outstanding request. */
export const onStockRejected = stockAnswer<StockRejected>(
  'stock.rejected',
  async ({ tx, answer, order, r, clock, meta }) => {
    switch (onRejected(order, r).kind) {
      case 'reject':
        await moveBySystem(tx, order!, 'rejected', clock.now(), meta.correlationId, {
          reason: answer.reason,
          productIds: answer.productIds,
        })
        return 'rejected'
      case 'replace':
        await requestStock(tx, order!, meta.correlationId)
        return 'replaced'
      case 'drop':
        await tx.reservations.remove(answer.orderId)
        return 'dropped'
      case 'ignore':
        return 'ignored'
    }
  },
)
