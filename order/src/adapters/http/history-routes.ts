import { Hono } from 'hono'
import type { AppEnv } from '@shop/platform/http/app'
import { describeRoute } from '@shop/platform/http/openapi-meta'
import { params } from '@shop/platform/http/validate'
import type { StatusChange } from '../../domain/history.ts'
import { descriptions } from './descriptions.ts'
import { unwrap } from './errors.ts'
import { type ResourceDeps, callerOf, tags } from './request.ts'
import { HistoryOut, OrderIdParam } from './schemas.ts'

/** One status change as the API shows it. */
const historyJson = (h: StatusChange) => ({
  from: h.from,
  to: h.to,
  actor: h.actor,
  changed_by: h.by,
  reason: h.reason,
  product_ids: h.productIds === null ? null : [...h.productIds],
  changed_at: h.at.toISOString(),
})

/** An order's status history (mounted under /api/v1/order). */
export function historyRoutes({ application: { queries }, signedIn }: ResourceDeps): Hono<AppEnv> {
  return new Hono<AppEnv>().get(
    '/:id/history',
    describeRoute({
      operationId: 'getOrderHistory',
      summary: "An order's status history (owner or admin) — an extension of the API",
      description: descriptions.history,
      tags,
      responses: { 200: { description: 'the status changes, oldest first', schema: HistoryOut } },
      errors: { 404: 'no such order, or it is not yours' },
    }),
    signedIn,
    params(OrderIdParam),
    async (c) => c.json(unwrap(await queries.orderHistory(callerOf(c), c.req.valid('param').id)).map(historyJson)),
  )
}
