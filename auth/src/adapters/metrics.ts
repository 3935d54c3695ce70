import { Counter } from 'prom-client'
import type { ServiceMetrics } from '@shop/shared-kernel/observability/metrics'

export type LoginOutcome = 'success' | 'failure' | 'throttled'

/** auth's own metrics, in the service's registry. */
export function authMetrics(m: Pick<ServiceMetrics, 'registry'>) {
  return {
    logins: new Counter({
      name: 'shop_auth_logins_total',
      help: 'Login attempts by outcome: success, failure (wrong credentials or unknown login), throttled (refused with 429 before the password was checked).',
      labelNames: ['outcome'] as const,
      registers: [m.registry],
    }),
  }
}
export type AuthMetrics = ReturnType<typeof authMetrics>
