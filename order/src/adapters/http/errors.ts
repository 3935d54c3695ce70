import { HttpProblem, fieldProblem, invalidBody, unwrapWith } from '@shop/platform/http/problem'
import type { OrderError } from '../../domain/errors.ts'
import { MAX_QUANTITY, MIN_QUANTITY } from '../../domain/order.ts'
import { OWNER_DELETABLE, OWNER_SETTABLE } from '../../domain/status.ts'
import { anyOf } from './descriptions.ts'

/** The one place where the order service's domain errors become HTTP statuses. */
export function toProblem(e: OrderError): HttpProblem {
  switch (e.type) {
    case 'OrderNotFound':
      return new HttpProblem(404, 'ORDER_NOT_FOUND', `order ${e.id} not found`)
    case 'TransitionNotAllowed':
      return new HttpProblem(409, 'TRANSITION_NOT_ALLOWED', `the order cannot go from ${e.from} to ${e.to}`, {
        from: e.from,
        to: e.to,
      })
    case 'NotEditable':
      return new HttpProblem(
        409,
        'ORDER_NOT_EDITABLE',
        `items and shipping_address can change only while the order is pending; it is ${e.status}`,
        { current_status: e.status },
      )
    case 'NotDeletable':
      return new HttpProblem(
        409,
        'ORDER_NOT_DELETABLE',
        `the owner can delete an order only while it is ${anyOf(OWNER_DELETABLE)}; it is ${e.status}`,
        { current_status: e.status },
      )
    case 'UnknownProducts':
      return fieldProblem('UNKNOWN_PRODUCTS', 'items', `unknown or deleted products: ${e.productIds.join(', ')}`, {
        extra: { product_ids: e.productIds },
      })
    case 'QuantityOutOfRange':
      return invalidBody(
        'items',
        `the lines for product ${e.productId} add up to ${e.quantity}; ` +
          `a product's quantity must be ${MIN_QUANTITY} to ${MAX_QUANTITY}`,
      )
    case 'StatusWithEdits':
      return invalidBody('status', 'status cannot change in the same request as items or shipping_address')
    case 'StatusChangeForbidden':
      return new HttpProblem(
        403,
        'STATUS_CHANGE_FORBIDDEN',
        `the owner of an order may set its status only to ${anyOf(OWNER_SETTABLE)}, not to ${e.status}`,
        { to: e.status },
      )
    case 'EditForbidden':
      return new HttpProblem(
        403,
        'ORDER_EDIT_FORBIDDEN',
        `only the owner of an order may send ${e.fields.join(' and ')}; an admin may send only status`,
        { fields: e.fields },
      )
    case 'IdempotencyKeyReused':
      return fieldProblem('IDEMPOTENCY_KEY_REUSED', 'Idempotency-Key', 'already used with a different request body', {
        detail: 'this Idempotency-Key was used before with a different request body',
      })
    case 'IdempotentOrderDeleted':
      return new HttpProblem(
        409,
        'IDEMPOTENT_ORDER_DELETED',
        'the order first created with this Idempotency-Key has since been deleted',
      )
  }
}

/** A use case's result, or its error thrown as the problem toProblem says (rendered by the app). */
export const unwrap = unwrapWith(toProblem)
