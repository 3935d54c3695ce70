import * as v from 'valibot'
import { pageEntries } from '@shop/platform/http/pagination'
import { MoneyOut } from '@shop/platform/http/money-schema'
import { IdOut, idNumber, idString, noControlChars, uuidString } from '@shop/platform/http/validate'
import { MAX_LINES, MAX_QUANTITY, MIN_QUANTITY, SHIPPING_ADDRESS_MAX } from '../../domain/order.ts'
import { ORDER_STATUSES } from '../../domain/status.ts'

const productId = idNumber('product_id')
const quantity = v.pipe(
  v.number(`quantity must be an integer from ${MIN_QUANTITY} to ${MAX_QUANTITY}`),
  v.integer(`quantity must be an integer from ${MIN_QUANTITY} to ${MAX_QUANTITY}`),
  v.minValue(MIN_QUANTITY, `quantity must be an integer from ${MIN_QUANTITY} to ${MAX_QUANTITY}`),
  v.maxValue(MAX_QUANTITY, `quantity must be an integer from ${MIN_QUANTITY} to ${MAX_QUANTITY}`),
)
// Anything else a line carries (name, unit_price, line_total) is ignored: prices come from the replica.
const Line = v.object({ product_id: productId, quantity })
const Items = v.pipe(
  v.array(Line, 'items must be an array of {product_id, quantity}'),
  v.minLength(1, 'items must have at least 1 line'),
  v.maxLength(MAX_LINES, `items may have at most ${MAX_LINES} lines`),
)
const ShippingAddress = v.nullable(
  v.pipe(
    v.string('shipping_address must be a string or null'),
    v.metadata({
      minLength: 1,
      maxLength: SHIPPING_ADDRESS_MAX,
      description:
        `1 to ${SHIPPING_ADDRESS_MAX} characters after trimming; ` + `line breaks allowed, no other control characters`,
    }),
    v.trim(),
    v.minLength(1, 'shipping_address must not be blank (send null for none)'),
    v.maxLength(SHIPPING_ADDRESS_MAX, `shipping_address must be at most ${SHIPPING_ADDRESS_MAX} characters`),
    // An address may span lines; a NUL would make PostgreSQL fail the insert (a 500).
    noControlChars('shipping_address', { lineBreaks: true }),
  ),
)
const Status = v.picklist(ORDER_STATUSES, `status must be one of ${ORDER_STATUSES.join(', ')}`)

export const CreateOrderBody = v.object({ items: Items, shipping_address: v.optional(ShippingAddress) })

export const UpdateOrderBody = v.pipe(
  v.object({ items: v.optional(Items), shipping_address: v.optional(ShippingAddress), status: v.optional(Status) }),
  v.check(
    (b) => b.items !== undefined || b.shipping_address !== undefined || b.status !== undefined,
    'the body must have items, shipping_address or status',
  ),
)

export const IdempotencyKey = v.pipe(
  v.string(),
  v.minLength(1, 'Idempotency-Key must be 1 to 255 characters'),
  v.maxLength(255, 'Idempotency-Key must be 1 to 255 characters'),
  noControlChars('Idempotency-Key'),
)

export const OrderIdParam = v.object({ id: idString('id') })

export const ListQuery = v.object({
  ...pageEntries,
  status: v.optional(Status),
  user_id: v.optional(uuidString('user_id')),
})

// Response shapes, for the OpenAPI document.
const timestamp = v.pipe(v.string(), v.isoTimestamp())
const count = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max))
export const OrderLineOut = v.object({
  product_id: IdOut,
  name: v.pipe(v.string(), v.description('snapshot taken when the line was written')),
  unit_price: v.pipe(MoneyOut, v.description('snapshot taken when the line was written')),
  quantity: count(MIN_QUANTITY, MAX_QUANTITY),
  line_total: MoneyOut,
  sku: v.pipe(
    v.nullable(v.string()),
    v.description("snapshot of the product's SKU taken when the line was written; null when it had none"),
  ),
})
export const OrderOut = v.object({
  id: IdOut,
  user_id: v.pipe(v.string(), v.uuid()),
  status: Status,
  items: v.pipe(v.array(OrderLineOut), v.minLength(1), v.maxLength(MAX_LINES)),
  total_quantity: count(MIN_QUANTITY, MAX_QUANTITY * MAX_LINES),
  total: MoneyOut,
  shipping_address: v.nullable(v.string()),
  created_at: timestamp,
  updated_at: timestamp,
})

const Actor = v.picklist(['owner', 'admin', 'system'])
export const StatusChangeOut = v.object({
  from: v.pipe(v.nullable(Status), v.description('null for the creation of the order')),
  to: Status,
  actor: Actor,
  changed_by: v.pipe(
    v.string(),
    v.description("the user id of the owner or admin, or 'system' (stock answers, a user's deletion)"),
  ),
  reason: v.pipe(v.nullable(v.string()), v.description("the catalog's rejection reason, or 'user deleted'")),
  product_ids: v.pipe(
    v.nullable(v.array(IdOut)),
    v.description('for a rejection: the products the catalog could not reserve'),
  ),
  changed_at: timestamp,
})
export const HistoryOut = v.array(StatusChangeOut)

/** The named schemas of the OpenAPI document: a generated client's type names. */
export const orderSchemas = {
  OrderCreateRequest: CreateOrderBody,
  OrderUpdateRequest: UpdateOrderBody,
  Order: OrderOut,
  OrderLine: OrderLineOut,
  OrderStatus: Status,
  StatusChange: StatusChangeOut,
  Actor,
}

/** The order service's extension fields of a problem. */
export const orderProblemFields = {
  product_ids: v.pipe(v.array(IdOut), v.description('UNKNOWN_PRODUCTS: the unknown or deleted products, sorted')),
  from: v.pipe(Status, v.description('TRANSITION_NOT_ALLOWED: the status the order has')),
  to: v.pipe(Status, v.description('TRANSITION_NOT_ALLOWED, STATUS_CHANGE_FORBIDDEN: the status asked for')),
  fields: v.pipe(
    v.array(v.picklist(['items', 'shipping_address'])),
    v.description('ORDER_EDIT_FORBIDDEN: the parts of the body only the owner may send'),
  ),
  current_status: v.pipe(Status, v.description('ORDER_NOT_EDITABLE, ORDER_NOT_DELETABLE: the status the order has')),
}
