import { type ServiceMetrics, outcomeCounter } from '@shop/platform/observability/metrics'
import type { AuthApplication } from '../app/application.ts'

/** auth's own metrics, in the service's registry. */
export function authMetrics(m: Pick<ServiceMetrics, 'registry'>) {
  return {
    logins: outcomeCounter(m, {
      name: 'shop_auth_logins_total',
      help:
        'Login attempts by outcome: success, failure (wrong credentials or unknown ' +
        'login), throttled (refused with 429 before the password was checked).',
      outcomes: ['success', 'failure', 'throttled'],
    }),
  }
}
export type AuthMetrics = ReturnType<typeof authMetrics>

/** The application with its logins counted by outcome (the composition root wraps it); as is without metrics. */
export function countLogins(application: AuthApplication, metrics: AuthMetrics | undefined): AuthApplication {
  if (!metrics) return application
  const login = application.commands.login
  const counted: typeof login = async (...args) => {
    const r = await login(...args)
    metrics.logins.inc({ outcome: r.ok ? 'success' : r.error.type === 'TooManyAttempts' ? 'throttled' : 'failure' })
    return r
  }
  return { ...application, commands: { ...application.commands, login: counted } }
}
