import * as v from 'valibot'
import { commonSettings, loadConfig, settings } from '@shop/platform/config'

const OrderSettings = v.object({
  ...commonSettings(8002),
  /** A stock request unanswered this long is sent again (the same order.placed). */
  ORDER_PENDING_TIMEOUT_SECONDS: settings.int('ORDER_PENDING_TIMEOUT_SECONDS', 30, 1, 86_400),
  /** After this many sends of an unanswered request, the order is rejected (reservation_timeout). */
  ORDER_PENDING_MAX_ATTEMPTS: settings.int('ORDER_PENDING_MAX_ATTEMPTS', 5, 1, 1000),
})

export type OrderConfig = v.InferOutput<typeof OrderSettings>

export const loadOrderConfig = (env: Record<string, string | undefined> = process.env): OrderConfig =>
  loadConfig(OrderSettings, env)
