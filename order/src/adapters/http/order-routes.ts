import { type Context, Hono } from 'hono'
import * as v from 'valibot'
import type { AppEnv } from '@shop/platform/http/app'
import { describeRoute } from '@shop/platform/http/openapi-meta'
import { pageHeadersDoc, pagedJson } from '@shop/platform/http/pagination'
import { HttpProblem } from '@shop/platform/http/problem'
import { body, params, query } from '@shop/platform/http/validate'
import type { LineRequest, Order, OrderChange } from '../../domain/order.ts'
import type { OrderFilter } from '../../ports.ts'
import { descriptions } from './descriptions.ts'
import { unwrap } from './errors.ts'
import { fingerprint } from './fingerprint.ts'
import { ctxOf } from '@shop/kernel/app'
import { wireOf } from '@shop/kernel/wire'
import { type ResourceDeps, callerOf, tags } from './request.ts'
import {
  CreateOrderBody,
  IdempotencyKey,
  ListQuery,
  OrderIdParam,
  OrderLineOut,
  OrderOut,
  UpdateOrderBody,
} from './schemas.ts'

// snake_case on the wire, camelCase inside: mapped here, once each way.

/**
 * An order as the API shows it: the fields its response schema declares, renamed by rule (wireOf),
 * so a line shows what the schema adds to it; typed by the schema, so no declared field is left out.
 */
const orderJson = (o: Order): v.InferOutput<typeof OrderOut> => ({
  ...wireOf(OrderOut, o),
  items: o.items.map((l) => wireOf(OrderLineOut, l)),
  created_at: o.createdAt.toISOString(),
  updated_at: o.updatedAt.toISOString(),
})

type WireLine = { readonly product_id: number; readonly quantity: number }
const lineRequests = (items: readonly WireLine[]): LineRequest[] =>
  items.map((l) => ({ productId: l.product_id, quantity: l.quantity }))

const orderChange = (b: v.InferOutput<typeof UpdateOrderBody>): OrderChange => ({
  items: b.items && lineRequests(b.items),
  shippingAddress: b.shipping_address,
  status: b.status,
})

const orderFilter = (q: v.InferOutput<typeof ListQuery>): OrderFilter => ({ status: q.status, userId: q.user_id })

/** Reads and validates the optional Idempotency-Key header (422 when present but not 1..255 characters). */
const idempotencyKey = (c: Context): string | undefined => {
  const raw = c.req.header('Idempotency-Key')
  if (raw === undefined) return undefined
  const r = v.safeParse(IdempotencyKey, raw)
  if (!r.success) {
    throw new HttpProblem(422, 'VALIDATION_FAILED', 'the Idempotency-Key header is invalid', {
      errors: r.issues.map((i) => ({ path: 'Idempotency-Key', message: i.message })),
    })
  }
  return r.output
}

/** The order resource: place, read, list, change, delete (mounted under /api/v1). */
export function orderRoutes({ application: { commands, queries }, signedIn }: ResourceDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>()

  routes.post(
    '/order',
    describeRoute({
      operationId: 'placeOrder',
      summary: 'Place an order (status pending)',
      description: descriptions.create,
      tags,
      headers: { 'Idempotency-Key': { description: descriptions.idempotencyKey, schema: IdempotencyKey } },
      responses: {
        201: {
          description: 'the new order (or, for a repeated Idempotency-Key, the order the first request created)',
          schema: OrderOut,
          headers: {
            Location: 'the URL of the order',
            'Idempotent-Replayed': '"true" when this answers a repeat of an earlier request',
          },
        },
      },
      errors: {
        409: 'the order first created with this Idempotency-Key has since been deleted (IDEMPOTENT_ORDER_DELETED)',
        422:
          'invalid body or Idempotency-Key; empty items, quantity (also after merging) outside ' +
          '1..1000, more than 100 lines; unknown or deleted products (UNKNOWN_PRODUCTS, ids in ' +
          '`product_ids`); Idempotency-Key reused with another body (IDEMPOTENCY_KEY_REUSED)',
      },
    }),
    signedIn,
    body(CreateOrderBody),
    async (c) => {
      const key = idempotencyKey(c)
      const b = c.req.valid('json')
      const shippingAddress = b.shipping_address ?? null
      const placed = unwrap(
        await commands.placeOrder(
          callerOf(c),
          { items: lineRequests(b.items), shippingAddress },
          {
            ...ctxOf(c),
            idempotency:
              key === undefined
                ? undefined
                : { key, fingerprint: fingerprint({ items: b.items, shipping_address: shippingAddress }) },
          },
        ),
      )
      c.header('Location', `/api/v1/order/${placed.order.id}`)
      if (placed.replayed) c.header('Idempotent-Replayed', 'true')
      return c.json(orderJson(placed.order), 201)
    },
  )

  routes.get(
    '/order/:id',
    describeRoute({
      operationId: 'getOrder',
      summary: 'One order (owner or admin)',
      description:
        'The order with its lines (name and unit price as they were when written), ' +
        "totals and status. Another user's order is 404, as if it did not exist.",
      tags,
      responses: { 200: { description: 'the order', schema: OrderOut } },
      errors: { 404: 'no such order, or it is not yours' },
    }),
    signedIn,
    params(OrderIdParam),
    async (c) => c.json(orderJson(unwrap(await queries.getOrder(callerOf(c), c.req.valid('param').id)))),
  )

  routes.get(
    '/orders',
    describeRoute({
      operationId: 'listOrders',
      summary: 'List orders, newest first (a USER: their own; an ADMIN: all)',
      description: descriptions.list,
      tags,
      responses: { 200: { description: 'a page of orders', schema: v.array(OrderOut), headers: pageHeadersDoc } },
    }),
    signedIn,
    query(ListQuery),
    async (c) => {
      const q = c.req.valid('query')
      const page = { limit: q.limit, offset: q.offset }
      return pagedJson(c, page, await queries.listOrders(callerOf(c), orderFilter(q), page), orderJson)
    },
  )

  routes.put(
    '/update_order/:id',
    describeRoute({
      operationId: 'updateOrder',
      summary: 'Change an order: the owner edits or cancels it, an admin moves its status',
      description: descriptions.update,
      tags,
      responses: { 200: { description: 'the order after the change', schema: OrderOut } },
      errors: {
        403:
          'a request for what the caller may not change, refused as a whole (nothing changes): a status other ' +
          'than cancelled from a USER (STATUS_CHANGE_FORBIDDEN, the status in `to`), items or shipping_address ' +
          "from an ADMIN on someone else's order (ORDER_EDIT_FORBIDDEN, the parts in `fields`)",
        404: 'no such order, or it is not yours',
        409:
          'not editable (ORDER_NOT_EDITABLE: items or shipping_address of an order that ' +
          'is no longer pending) or transition not allowed (TRANSITION_NOT_ALLOWED)',
        422:
          'invalid body; status together with items or shipping_address; ' +
          'unknown or deleted products (UNKNOWN_PRODUCTS, ids in `product_ids`)',
      },
    }),
    signedIn,
    params(OrderIdParam),
    body(UpdateOrderBody),
    async (c) => {
      const updated = await commands.updateOrder(
        callerOf(c),
        c.req.valid('param').id,
        orderChange(c.req.valid('json')),
        ctxOf(c),
      )
      return c.json(orderJson(unwrap(updated)))
    },
  )

  routes.delete(
    '/delete_order/:id',
    describeRoute({
      operationId: 'deleteOrder',
      summary: descriptions.deleteSummary,
      description: descriptions.delete,
      tags,
      responses: { 204: { description: 'deleted' } },
      errors: {
        404: 'no such order, or it is not yours',
        409: 'the owner cannot delete an order that is confirmed, paid, shipped or delivered (ORDER_NOT_DELETABLE)',
      },
    }),
    signedIn,
    params(OrderIdParam),
    async (c) => {
      unwrap(await commands.deleteOrder(callerOf(c), c.req.valid('param').id, ctxOf(c)))
      return c.body(null, 204)
    },
  )

  return routes
}
