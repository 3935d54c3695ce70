import type { Context, Hono, MiddlewareHandler } from 'hono'
import * as v from 'valibot'
import { type AppEnv, createHttpApp, type HttpAppOptions } from '@shop/shared-kernel/http/app'
import { authenticate, type UserLookup } from '@shop/shared-kernel/http/auth'
import { describeRoute } from '@shop/shared-kernel/http/openapi-meta'
import { pageHeadersDoc, setPageHeaders } from '@shop/shared-kernel/http/pagination'
import { HttpProblem } from '@shop/shared-kernel/http/problem'
import { body, params, query } from '@shop/shared-kernel/http/validate'
import type { StatusChange } from '../../domain/history.ts'
import type { Caller, Order } from '../../domain/order.ts'
import type { OrderCore } from '../../order.ts'
import { descriptions } from './descriptions.ts'
import { toProblem } from './errors.ts'
import { fingerprint } from './fingerprint.ts'
import { CreateOrderBody, HistoryOut, IdempotencyKey, ListQuery, OrderIdParam, OrderOut, UpdateOrderBody } from './schemas.ts'

export const orderJson = (o: Order) => ({
  id: o.id,
  user_id: o.userId,
  status: o.status,
  items: o.items.map((l) => ({ product_id: l.productId, name: l.name, unit_price: l.unitPrice, quantity: l.quantity, line_total: l.lineTotal })),
  total_quantity: o.totalQuantity,
  total: o.total,
  shipping_address: o.shippingAddress,
  created_at: o.createdAt.toISOString(),
  updated_at: o.updatedAt.toISOString(),
})

export const historyJson = (h: StatusChange) => ({
  from: h.from,
  to: h.to,
  actor: h.actor,
  changed_by: h.by,
  reason: h.reason,
  product_ids: h.productIds === null ? null : [...h.productIds],
  changed_at: h.at.toISOString(),
})

export interface OrderHttpOptions extends Omit<HttpAppOptions, 'docs'> {
  readonly core: OrderCore
  readonly secret: string
  /** The user replica (deleted users, current roles); without it tokens are trusted as issued. */
  readonly lookup?: UserLookup
  /** Where the docs page's Authorize button logs in: the auth service. */
  readonly tokenUrl?: string
}

const tags = ['orders']

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

export function orderHttp(o: OrderHttpOptions): Hono<AppEnv> {
  const app = createHttpApp({
    ...o,
    docs: {
      title: 'shop order',
      version: '1.0.0',
      description: descriptions.service,
      tokenUrl: o.tokenUrl ?? 'http://localhost:8000/api/v1/auth/login',
    },
  })
  const { core } = o
  const signedIn: MiddlewareHandler = authenticate({ secret: o.secret, ...(o.lookup ? { lookup: o.lookup } : {}) })
  const caller = (c: Context<AppEnv>): Caller => ({ id: c.get('principal').id, role: c.get('principal').role })
  const ctx = (c: Context<AppEnv>) => ({ correlationId: c.get('requestId') })

  app.post(
    '/api/v1/order',
    describeRoute({
      summary: 'Place an order (status pending)',
      description: descriptions.create,
      tags,
      headers: { 'Idempotency-Key': { description: descriptions.idempotencyKey, schema: IdempotencyKey } },
      responses: {
        201: { description: 'the new order (or, for a repeated Idempotency-Key, the order the first request created)', schema: OrderOut, headers: { Location: 'the URL of the order', 'Idempotent-Replayed': '"true" when this answers a repeat of an earlier request' } },
      },
      errors: {
        409: 'the order first created with this Idempotency-Key has since been deleted (IDEMPOTENT_ORDER_DELETED)',
        422: 'invalid body or Idempotency-Key; empty items, quantity (also after merging) outside 1..1000, more than 100 lines; unknown or deleted products (UNKNOWN_PRODUCTS, ids in `product_ids`); Idempotency-Key reused with another body (IDEMPOTENCY_KEY_REUSED)',
      },
    }),
    signedIn,
    body(CreateOrderBody),
    async (c) => {
      const key = idempotencyKey(c)
      const b = c.req.valid('json')
      const input = { items: b.items.map((l) => ({ productId: l.product_id, quantity: l.quantity })), shippingAddress: b.shipping_address ?? null }
      const r = await core.placeOrder(caller(c), input, {
        ...ctx(c),
        ...(key !== undefined ? { idempotency: { key, fingerprint: fingerprint({ items: b.items, shipping_address: b.shipping_address ?? null }) } } : {}),
      })
      if (!r.ok) throw toProblem(r.error)
      c.header('Location', `/api/v1/order/${r.value.order.id}`)
      if (r.value.replayed) c.header('Idempotent-Replayed', 'true')
      return c.json(orderJson(r.value.order), 201)
    },
  )

  app.get(
    '/api/v1/order/:id',
    describeRoute({
      summary: 'One order (owner or admin)',
      tags,
      responses: { 200: { description: 'the order', schema: OrderOut } },
      errors: { 404: 'no such order, or it is not yours' },
    }),
    signedIn,
    params(OrderIdParam),
    async (c) => {
      const r = await core.getOrder(caller(c), c.req.valid('param').id)
      if (!r.ok) throw toProblem(r.error)
      return c.json(orderJson(r.value))
    },
  )

  app.get(
    '/api/v1/order/:id/history',
    describeRoute({
      summary: "An order's status history (owner or admin) — an extension of the API",
      description: descriptions.history,
      tags,
      responses: { 200: { description: 'the status changes, oldest first', schema: HistoryOut } },
      errors: { 404: 'no such order, or it is not yours' },
    }),
    signedIn,
    params(OrderIdParam),
    async (c) => {
      const r = await core.history(caller(c), c.req.valid('param').id)
      if (!r.ok) throw toProblem(r.error)
      return c.json(r.value.map(historyJson))
    },
  )

  app.get(
    '/api/v1/orders',
    describeRoute({
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
      const filter = { ...(q.status !== undefined ? { status: q.status } : {}), ...(q.user_id !== undefined ? { userId: q.user_id } : {}) }
      const { items, total } = await core.listOrders(caller(c), filter, page)
      setPageHeaders(c, page, total)
      return c.json(items.map(orderJson))
    },
  )

  app.put(
    '/api/v1/update_order/:id',
    describeRoute({
      summary: 'Change an order: the owner edits or cancels it, an admin moves its status',
      description: descriptions.update,
      tags,
      responses: { 200: { description: 'the order after the change', schema: OrderOut } },
      errors: {
        404: 'no such order, or it is not yours',
        409: 'not editable (ORDER_NOT_EDITABLE: items or shipping_address of an order that is no longer pending) or transition not allowed (TRANSITION_NOT_ALLOWED)',
        422: 'invalid body; status together with items or shipping_address; unknown or deleted products (UNKNOWN_PRODUCTS, ids in `product_ids`)',
      },
    }),
    signedIn,
    params(OrderIdParam),
    body(UpdateOrderBody),
    async (c) => {
      const b = c.req.valid('json')
      const r = await core.updateOrder(
        caller(c),
        c.req.valid('param').id,
        {
          ...(b.items !== undefined ? { items: b.items.map((l) => ({ productId: l.product_id, quantity: l.quantity })) } : {}),
          ...(b.shipping_address !== undefined ? { shippingAddress: b.shipping_address } : {}),
          ...(b.status !== undefined ? { status: b.status } : {}),
        },
        ctx(c),
      )
      if (!r.ok) throw toProblem(r.error)
      return c.json(orderJson(r.value))
    },
  )

  app.delete(
    '/api/v1/delete_order/:id',
    describeRoute({
      summary: 'Delete an order (the owner while pending, cancelled or rejected; an admin always)',
      description: descriptions.delete,
      tags,
      responses: { 204: { description: 'deleted' } },
      errors: { 404: 'no such order, or it is not yours', 409: 'the owner cannot delete an order that is confirmed, paid, shipped or delivered (ORDER_NOT_DELETABLE)' },
    }),
    signedIn,
    params(OrderIdParam),
    async (c) => {
      const r = await core.deleteOrder(caller(c), c.req.valid('param').id, ctx(c))
      if (!r.ok) throw toProblem(r.error)
      return c.body(null, 204)
    },
  )

  return app
}
