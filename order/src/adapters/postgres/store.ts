import type { Sql } from '@shop/platform/postgres/connect'
import { postgresInbox } from '@shop/platform/postgres/inbox'
import { transact } from '@shop/platform/postgres/transact'
import type { OrderStore, OrderTx } from '../../ports.ts'
import { postgresHistory } from './history.ts'
import { postgresOrders } from './orders.ts'
import { postgresProducts } from './replica.ts'
import { postgresKeys } from './idempotency-keys.ts'
import { postgresReservations, stalledRequests } from './reservations.ts'

export function postgresOrderStore(sql: Sql, opts: { onEvents?: () => void } = {}): OrderStore {
  return {
    orders: postgresOrders(sql),
    history: postgresHistory(sql),
    products: postgresProducts(sql),
    stalledRequests: (seconds, limit) => stalledRequests(sql, seconds, limit),
    transact: (work) =>
      transact(
        sql,
        { source: 'order', ...(opts.onEvents ? { onEvents: opts.onEvents } : {}) },
        (tx, events): OrderTx => ({
          orders: postgresOrders(tx),
          history: postgresHistory(tx),
          products: postgresProducts(tx),
          keys: postgresKeys(tx),
          reservations: postgresReservations(tx),
          events,
          inbox: postgresInbox(tx),
        }),
        work,
      ),
  }
}
