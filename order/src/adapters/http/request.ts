import type { Context, MiddlewareHandler } from 'hono'
import type { AppEnv } from '@shop/platform/http/app'
import type { OrderApplication } from '../../app/application.ts'
import type { Caller } from '../../domain/order.ts'

/** What every resource of the order API is built on. */
export interface ResourceDeps {
  readonly application: OrderApplication
  /** Requires a valid bearer token (401 otherwise) and sets the principal. */
  readonly signedIn: MiddlewareHandler
}

/** Who asks: the user id and role from the token, never from the body. */
export const callerOf = (c: Context<AppEnv>): Caller => ({ id: c.get('principal').id, role: c.get('principal').role })

export const tags = ['orders']
