import { Histogram } from 'prom-client'
import type { ServiceMetrics } from '@shop/shared-kernel/observability/metrics'

/** The saga spans a broker round trip and the catalog's transaction: from 5 ms to a minute. */
const SAGA_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

/** order's own metrics, in the service's registry. */
export function orderMetrics(m: Pick<ServiceMetrics, 'registry'>) {
  return {
    saga: new Histogram({
      name: 'shop_order_saga_duration_seconds',
      help: "From an order placed to the catalog's answer applied (confirmed or rejected), by final status; its _count is the orders by final status.",
      labelNames: ['status'] as const,
      buckets: SAGA_BUCKETS,
      registers: [m.registry],
    }),
  }
}
export type OrderMetrics = ReturnType<typeof orderMetrics>
