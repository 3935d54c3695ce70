import * as v from 'valibot'
import { commonSettings, loadConfig } from '@shop/platform/config'

const OrderSettings = v.object({
  ...commonSettings(8002),
})

export type OrderConfig = v.InferOutput<typeof OrderSettings>

export const loadOrderConfig = (env: Record<string, string | undefined> = process.env): OrderConfig =>
  loadConfig(OrderSettings, env)
