import type { ExampleBook } from '@shop/platform/http/openapi-meta'

/**
 * The examples of the order service's OpenAPI document, written from what `make seed` leaves behind (alice's
 * shipped laptop and her confirmed keyboard, bob's rejected ultrabooks). tests/openapi/examples.test.ts checks each
 * against its schema.
 */
const ALICE = '755d37e1-08a6-4d09-b4de-b7f004f5ba89'
const ADMIN = 'f268b6ed-ecd3-4bdb-91f1-6fa189519b00'
/** One of alice's orders, shipped to her seed address: lines `[product_id, name, unit_price, quantity, line_total]`. */
const aliceOrder = (
  id: number,
  status: string,
  lines: readonly (readonly [number, string, string, number, string])[],
  total: string,
  [created_at, updated_at]: readonly [string, string],
) => ({
  id,
  user_id: ALICE,
  status,
  items: lines.map(([product_id, name, unit_price, quantity, line_total]) => ({
    product_id,
    name,
    unit_price,
    quantity,
    line_total,
    sku: null,
  })),
  total_quantity: lines.reduce((n, line) => n + line[3], 0),
  total,
  shipping_address: 'alice, 1 Seed Street',
  created_at,
  updated_at,
})
const SHIPPED = aliceOrder(
  2,
  'shipped',
  [
    [1, 'Laptop 14"', '1299.00', 1, '1299.00'],
    [3, 'Wireless mouse', '24.90', 2, '49.80'],
  ],
  '1348.80',
  ['2026-12-06T04:06:03.797Z', '2026-12-06T04:06:04.016Z'],
)
const CONFIRMED = aliceOrder(5, 'confirmed', [[4, 'Mechanical keyboard', '89.00', 1, '89.00']], '89.00', [
  '2026-12-06T04:06:03.885Z',
  '2026-12-06T04:06:03.960Z',
])
const PENDING = { ...CONFIRMED, id: 6, status: 'pending', updated_at: CONFIRMED.created_at }
const missing = (id: number) => ({ code: 'ORDER_NOT_FOUND', detail: `order ${id} not found` })

export const orderExamples: ExampleBook = {
  placeOrder: {
    request: { items: [{ product_id: 4, quantity: 1 }], shipping_address: 'alice, 1 Seed Street' },
    responses: { 201: PENDING },
    problems: {
      409: {
        code: 'IDEMPOTENT_ORDER_DELETED',
        detail: 'the order first created with this Idempotency-Key has since been deleted',
      },
      422: {
        code: 'UNKNOWN_PRODUCTS',
        detail: 'unknown or deleted products: 42',
        errors: [{ path: 'items', message: 'unknown or deleted products: 42' }],
        product_ids: [42],
      },
    },
  },
  getOrder: { parameters: { id: 2 }, responses: { 200: SHIPPED }, problems: { 404: missing(2) } },
  listOrders: {
    parameters: { status: 'confirmed', user_id: ALICE, limit: 20 },
    responses: { 200: [CONFIRMED] },
  },
  updateOrder: {
    parameters: { id: 5 },
    request: { status: 'cancelled' },
    responses: { 200: { ...CONFIRMED, status: 'cancelled', updated_at: '2026-12-06T09:31:07.662Z' } },
    problems: {
      403: {
        code: 'STATUS_CHANGE_FORBIDDEN',
        detail: 'the owner of an order may set its status only to cancelled, not to shipped',
        to: 'shipped',
      },
      404: missing(5),
      409: {
        code: 'TRANSITION_NOT_ALLOWED',
        detail: 'the order cannot go from shipped to cancelled',
        from: 'shipped',
        to: 'cancelled',
      },
    },
  },
  deleteOrder: {
    parameters: { id: 2 },
    problems: {
      404: missing(2),
      409: {
        code: 'ORDER_NOT_DELETABLE',
        detail: 'the owner can delete an order only while it is pending, rejected or cancelled; it is shipped',
        current_status: 'shipped',
      },
    },
  },
  getOrderHistory: {
    parameters: { id: 2 },
    responses: {
      200: [
        { from: null, to: 'pending', actor: 'owner', changed_by: ALICE, at: '03.797' },
        { from: 'pending', to: 'confirmed', actor: 'system', changed_by: 'system', at: '03.851' },
        { from: 'confirmed', to: 'paid', actor: 'admin', changed_by: ADMIN, at: '04.010' },
        { from: 'paid', to: 'shipped', actor: 'admin', changed_by: ADMIN, at: '04.016' },
      ].map(({ at, ...change }) => ({
        ...change,
        reason: null,
        product_ids: null,
        changed_at: `2026-12-06T04:06:${at}Z`,
      })),
    },
    problems: { 404: missing(2) },
  },
}
