import type { EventMeta } from '@shop/kernel/app'
import { once } from '@shop/kernel/inbox'
import { type Result, ok } from '@shop/kernel/result'
import type { StockLine } from '../../domain/stock.ts'
import type { CatalogDeps, CatalogTx } from '../../ports.ts'

/** What the order events tell the stock side: the order and its lines. */
export interface OrderStock {
  readonly orderId: number
  readonly items: readonly StockLine[]
}

/** What handling an order event did; `duplicate` means the event id was seen before. */
export type StockOutcome = 'reserved' | 'rejected' | 'released' | 'answered-again' | 'nothing-to-release' | 'duplicate'

/**
 * The use case that handles one type of order event: `effect` runs once per event id (the inbox claim and the effect
 * in one transaction), given the time read inside it. Expected outcomes only: a throw rolls back and the bus retries.
 */
export const orderEventHandler =
  (
    type: 'order.placed' | 'order.cancelled',
    effect: (tx: CatalogTx, order: OrderStock, now: Date, meta: EventMeta) => Promise<StockOutcome>,
  ) =>
  async ({ store, clock }: CatalogDeps, order: OrderStock, meta: EventMeta): Promise<Result<StockOutcome, never>> =>
    ok(await once(store, meta, type, (tx) => effect(tx, order, clock.now(), meta)))
