import * as v from 'valibot'
import { commonSettings, loadConfig } from '@shop/platform/config'

const CatalogSettings = v.object({
  ...commonSettings(8001),
})

export type CatalogConfig = v.InferOutput<typeof CatalogSettings>

export const loadCatalogConfig = (env: Record<string, string | undefined> = process.env): CatalogConfig =>
  loadConfig(CatalogSettings, env)
