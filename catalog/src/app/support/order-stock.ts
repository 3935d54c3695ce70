import type { StockLine } from '../../domain/stock.ts'

/** What the order events tell the stock side: the order and its lines. */
export interface OrderStock {
  readonly orderId: number
  readonly items: readonly StockLine[]
}

/** What handling an order event did; `duplicate` means the event id was seen before. */
export type StockOutcome = 'reserved' | 'rejected' | 'released' | 'answered-again' | 'nothing-to-release' | 'duplicate'
