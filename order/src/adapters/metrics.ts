import { Histogram } from 'prom-client'
import type { Clock } from '@shop/kernel/app'
import { type ServiceMetrics, outcomeCounter } from '@shop/platform/observability/metrics'
import type { OrderApplication } from '../app/application.ts'
import type { Orders } from '../ports.ts'

/** The saga spans a broker round trip and the catalog's transaction: from 5 ms to a minute. */
const SAGA_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

/** order's own metrics, in the service's registry. */
export function orderMetrics(m: Pick<ServiceMetrics, 'registry'>) {
  return {
    saga: new Histogram({
      name: 'shop_order_saga_duration_seconds',
      help:
        "From an order placed to the catalog's answer applied (confirmed or " +
        'rejected), by final status; its _count is the orders by final status.',
      labelNames: ['status'] as const,
      buckets: SAGA_BUCKETS,
      registers: [m.registry],
    }),
    unanswered: outcomeCounter(m, {
      name: 'shop_order_reservation_unanswered_total',
      help:
        'Stock requests the catalog did not answer within ORDER_PENDING_TIMEOUT_SECONDS, by what was ' +
        'done: resent (the same order.placed published again) or timed_out (the order rejected).',
      outcomes: ['resent', 'timed_out'],
    }),
  }
}

export type OrderMetrics = ReturnType<typeof orderMetrics>

/**
 * The application with the saga's end measured: when a stock answer confirms or rejects an order,
 * the time since the order was placed is observed, by that final status. Read after the answer's
 * transaction committed, so a retried delivery (which changes nothing: the inbox) is not counted
 * twice; a failed read only loses the sample. As is without metrics.
 */
export function observeSaga(
  application: OrderApplication,
  orders: Pick<Orders, 'byId'>,
  clock: Clock,
  metrics: OrderMetrics | undefined,
): OrderApplication {
  if (!metrics) return application
  const ended = async (orderId: number, status: 'confirmed' | 'rejected') => {
    const order = await orders.byId(orderId).catch(() => undefined)
    if (order) metrics.saga.observe({ status }, Math.max(0, clock.now().getTime() - order.createdAt.getTime()) / 1000)
  }
  const { onStockReserved, onStockRejected } = application.events
  const { retryStalled } = application.jobs
  return {
    ...application,
    jobs: {
      async retryStalled(...args) {
        const outcomes = await retryStalled(...args)
        for (const o of outcomes) if (o !== 'skipped') metrics.unanswered.inc({ outcome: o })
        return outcomes
      },
    },
    events: {
      ...application.events,
      async onStockReserved(...args) {
        const outcome = await onStockReserved(...args)
        if (outcome === 'confirmed') await ended(args[0].orderId, 'confirmed')
        return outcome
      },
      async onStockRejected(...args) {
        const outcome = await onStockRejected(...args)
        if (outcome === 'rejected') await ended(args[0].orderId, 'rejected')
        return outcome
      },
    },
  }
}
