import { HttpProblem, unwrapWith } from '@shop/shared-kernel/http/problem'
import type { OrderError } from '../../domain/errors.ts'
import { MAX_QUANTITY, MIN_QUANTITY } from '../../domain/order.ts'

/** The one place where the order service's domain errors become HTTP statuses. */
export function toProblem(e: OrderError): HttpProblem {
  switch (e.type) {
    case 'OrderNotFound':
      return new HttpProblem(404, 'ORDER_NOT_FOUND', `order ${e.id} not found`)
    case 'TransitionNotAllowed':
      return new HttpProblem(409, 'TRANSITION_NOT_ALLOWED', `the order cannot go from ${e.from} to ${e.to}`, { from: e.from, to: e.to })
    case 'NotEditable':
      return new HttpProblem(409, 'ORDER_NOT_EDITABLE', `items and shipping_address can change only while the order is pending; it is ${e.status}`, { current_status: e.status })
    case 'NotDeletable':
      return new HttpProblem(409, 'ORDER_NOT_DELETABLE', `the owner can delete an order only while it is pending, cancelled or rejected; it is ${e.status}`, { current_status: e.status })
    case 'UnknownProducts':
      return new HttpProblem(422, 'UNKNOWN_PRODUCTS', `unknown or deleted products: ${e.productIds.join(', ')}`, {
        errors: [{ path: 'items', message: `unknown or deleted products: ${e.productIds.join(', ')}` }],
        product_ids: e.productIds,
      })
    case 'QuantityOutOfRange':
      return new HttpProblem(422, 'VALIDATION_FAILED', 'the request body is invalid', {
        errors: [{ path: 'items', message: `the lines for product ${e.productId} add up to ${e.quantity}; a product's quantity must be ${MIN_QUANTITY} to ${MAX_QUANTITY}` }],
      })
    case 'StatusWithEdits':
      return new HttpProblem(422, 'VALIDATION_FAILED', 'the request body is invalid', {
        errors: [{ path: 'status', message: 'status cannot change in the same request as items or shipping_address' }],
      })
    case 'IdempotencyKeyReused':
      return new HttpProblem(422, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used before with a different request body', {
        errors: [{ path: 'Idempotency-Key', message: 'already used with a different request body' }],
      })
    case 'IdempotentOrderDeleted':
      return new HttpProblem(409, 'IDEMPOTENT_ORDER_DELETED', 'the order first created with this Idempotency-Key has since been deleted')
  }
}

/** A use case's result, or its error thrown as the problem toProblem says (rendered by the app). */
export const unwrap = unwrapWith(toProblem)
