import type { OrderStatus } from './status.ts'

/** Expected failures of the order use cases; the HTTP adapter maps each type to a status. */
export type OrderError =
  | { readonly type: 'OrderNotFound'; readonly id: number }
  | { readonly type: 'TransitionNotAllowed'; readonly from: OrderStatus; readonly to: OrderStatus }
  | { readonly type: 'NotEditable'; readonly status: OrderStatus }
  | { readonly type: 'NotDeletable'; readonly status: OrderStatus }
  | { readonly type: 'UnknownProducts'; readonly productIds: readonly number[] }
  | { readonly type: 'QuantityOutOfRange'; readonly productId: number; readonly quantity: number }
  | { readonly type: 'StatusWithEdits' }
  | { readonly type: 'IdempotencyKeyReused' }
  | { readonly type: 'IdempotentOrderDeleted' }
