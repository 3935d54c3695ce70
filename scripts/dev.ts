/**
 * `make dev`: the three services in this one process, each on its own port with its own
 * embedded PGlite database under DATA_DIR (.data/<service>), sharing an in-memory event bus.
 * Importing this file starts nothing: `devConfigs` and `banner` are what the README's banner is
 * checked against (tests/standalone.test.ts).
 */
import { MemoryBus } from '@shop/platform/bus/memory'
import { createKeyring } from '@shop/platform/bus/signing'
import { createLogger } from '@shop/platform/log'
import { startTracing } from '@shop/platform/observability/tracing'
import { listenUrl, loggerFor, onShutdown, serve, type Served } from '@shop/platform/service'
import { loadAuthConfig } from '@shop/auth/config'
import { startAuth } from '@shop/auth/main'
import { loadCatalogConfig } from '@shop/catalog/config'
import { startCatalog } from '@shop/catalog/main'
import { loadOrderConfig } from '@shop/order/config'
import { startOrder } from '@shop/order/main'
import { type EventKeys, eventKeys, newEventKeys } from './event-keys.ts'
import { DEFAULT_PORTS, docsSettings } from './origins.ts'

type Env = Record<string, string | undefined>

// A dev-only key, so `make dev` needs no setup; any real deployment sets its own JWT_SECRET.
const DEV_SECRET = 'dev-only-secret-change-me-0123456789abcdef'

/**
 * The three services' settings as `make dev` makes them from `env` and the event keys (each service
 * its own signing key, all the public keys: the memory bus verifies as RabbitMQ's consumers do),
 * and the dev admin it adds when ADMIN_USERNAME is unset.
 */
export function devConfigs(env: Env, keys: EventKeys) {
  const ports = {
    auth: env.AUTH_PORT ?? DEFAULT_PORTS.auth,
    catalog: env.CATALOG_PORT ?? DEFAULT_PORTS.catalog,
    order: env.ORDER_PORT ?? DEFAULT_PORTS.order,
  }
  const base = { JWT_SECRET: DEV_SECRET, ...env, DATABASE_URL: undefined, AMQP_URL: undefined }
  // A dev admin, so the catalog can be built from /docs at once (and `make seed` can log in).
  const devAdmin = env.ADMIN_USERNAME
    ? undefined
    : { username: 'admin', email: 'admin@example.com', password: 'admin-password' }
  const adminEnv = devAdmin
    ? { ADMIN_USERNAME: devAdmin.username, ADMIN_EMAIL: devAdmin.email, ADMIN_PASSWORD: devAdmin.password }
    : {}
  // The docs pages log in at auth from the browser: the three services' own origins are allowed
  // (CORS_ORIGINS overrides), and Authorize posts to this auth.
  const docs = docsSettings(Object.values(ports), ports.auth, env)
  const signing = (s: 'auth' | 'catalog' | 'order') => ({
    EVENT_SIGNING_KEY: keys.signingKeys[s],
    EVENT_PUBLIC_KEYS: keys.publicKeys,
  })
  return {
    auth: loadAuthConfig({ ...base, ...docs, ...adminEnv, ...signing('auth'), PORT: ports.auth }),
    catalog: loadCatalogConfig({ ...base, ...docs, ...signing('catalog'), PORT: ports.catalog }),
    order: loadOrderConfig({ ...base, ...docs, ...signing('order'), PORT: ports.order }),
    devAdmin,
  }
}

/** What `make dev` prints once the three services listen. */
export function banner(o: {
  dataDir: string
  services: readonly { name: string; url: string }[]
  devAdmin: { username: string; password: string } | undefined
  metricsEnabled: boolean
  tracesTo: string | undefined
}): string {
  const lines = o.services.map(({ name, url }) => `  ${name.padEnd(8)} ${url}   docs: ${url}/docs`).join('\n')
  const adminLine = o.devAdmin
    ? `  admin    ${o.devAdmin.username} / ${o.devAdmin.password} (dev only; set ADMIN_* to change)\n`
    : ''
  const observing =
    `  metrics  ${o.metricsEnabled ? 'GET /metrics on each service' : 'off (METRICS_ENABLED=false)'}; ` +
    `traces ${o.tracesTo ? `to ${o.tracesTo}` : 'off (set OTEL_EXPORTER_OTLP_ENDPOINT)'}\n`
  return (
    `\nshop is running: three services, embedded PGlite under ${o.dataDir}/, ` +
    `in-memory bus\n${lines}\n${adminLine}${observing}  sample data: make seed\n\n`
  )
}

/** The banner for `env` before anything listens (the URLs from the configured ports), as the README shows it. */
export async function plannedBanner(env: Env = process.env): Promise<string> {
  const c = devConfigs(env, await newEventKeys())
  return banner({
    dataDir: c.auth.DATA_DIR,
    services: (['auth', 'catalog', 'order'] as const).map((name) => ({
      name,
      url: listenUrl(c[name].HOST, c[name].PORT),
    })),
    devAdmin: c.devAdmin,
    metricsEnabled: c.auth.METRICS_ENABLED,
    tracesTo: c.auth.OTEL_EXPORTER_OTLP_ENDPOINT,
  })
}

async function main(): Promise<void> {
  const keys = await eventKeys()
  const c = devConfigs(process.env, keys)
  const bus = new MemoryBus(
    await createKeyring(keys.publicKeys),
    createLogger({ service: 'bus', level: (process.env.LOG_LEVEL as 'info' | undefined) ?? 'info' }),
  )
  const authLog = loggerFor('auth', c.auth)
  const catalogLog = loggerFor('catalog', c.catalog)
  const orderLog = loggerFor('order', c.order)

  // Traces only when OTEL_EXPORTER_OTLP_ENDPOINT is set: one tracer for the one process, named shop.
  const tracing = startTracing({
    service: process.env.OTEL_SERVICE_NAME ?? 'shop',
    endpoint: c.auth.OTEL_EXPORTER_OTLP_ENDPOINT,
  })

  const [auth, catalog, order] = await Promise.all([
    startAuth(c.auth, authLog, { bus }),
    startCatalog(c.catalog, catalogLog, { bus }),
    startOrder(c.order, orderLog, { bus }),
  ])
  const served: { name: string; s: Served }[] = [
    { name: 'auth', s: serve('auth', auth, c.auth, authLog) },
    { name: 'catalog', s: serve('catalog', catalog, c.catalog, catalogLog) },
    { name: 'order', s: serve('order', order, c.order, orderLog) },
  ]

  process.stdout.write(
    banner({
      dataDir: c.auth.DATA_DIR,
      services: served.map(({ name, s }) => ({ name, url: s.url })),
      devAdmin: c.devAdmin,
      metricsEnabled: c.auth.METRICS_ENABLED,
      tracesTo: tracing.on ? c.auth.OTEL_EXPORTER_OTLP_ENDPOINT : undefined,
    }),
  )

  onShutdown(authLog, c.auth.SHUTDOWN_TIMEOUT_MS, async () => {
    await Promise.all(served.map(({ s }) => s.close()))
    await bus.close()
    await tracing.shutdown()
  })
}

if (import.meta.main) await main()
