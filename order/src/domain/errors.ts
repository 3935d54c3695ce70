import type { OrderStatus } from './status.ts'

/** The parts of an order its owner edits (as the API names them). */
export type EditableField = 'items' | 'shipping_address'

/** Expected failures of the order use cases; the HTTP adapter maps each type to a status. */
export type OrderError =
  | { readonly type: 'OrderNotFound'; readonly id: number }
  | { readonly type: 'TransitionNotAllowed'; readonly from: OrderStatus; readonly to: OrderStatus }
  | { readonly type: 'NotEditable'; readonly status: OrderStatus }
  | { readonly type: 'NotDeletable'; readonly status: OrderStatus }
  | { readonly type: 'UnknownProducts'; readonly productIds: readonly number[] }
  | { readonly type: 'QuantityOutOfRange'; readonly productId: number; readonly quantity: number }
  | { readonly type: 'StatusWithEdits' }
  /**
   * A caller who is not an admin asked for a status other than "cancelled" (only the owner's cancel is theirs to make).
   */
  | { readonly type: 'StatusChangeForbidden'; readonly status: OrderStatus }
  /** An admin sent items or shipping_address for someone else's order (only the owner edits an order). */
  | { readonly type: 'EditForbidden'; readonly fields: readonly EditableField[] }
  | { readonly type: 'IdempotencyKeyReused' }
  | { readonly type: 'IdempotentOrderDeleted' }
