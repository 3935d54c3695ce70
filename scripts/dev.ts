/**
 * `make dev`: the three services in this one process, each on its own port with its own
 * embedded PGlite database under DATA_DIR (.data/<service>), sharing an in-memory event bus.
 */
import { MemoryBus } from '@shop/shared-kernel/bus/memory'
import { createLogger } from '@shop/shared-kernel/log'
import { startTracing } from '@shop/shared-kernel/observability/tracing'
import { loggerFor, onShutdown, serve, type Served } from '@shop/shared-kernel/service'
import { loadAuthConfig } from '@shop/auth/config'
import { startAuth } from '@shop/auth/main'
import { loadCatalogConfig } from '@shop/catalog/config'
import { startCatalog } from '@shop/catalog/main'
import { loadOrderConfig } from '@shop/order/config'
import { startOrder } from '@shop/order/main'
import { docsSettings } from './origins.ts'

// A dev-only key, so `make dev` needs no setup; any real deployment sets its own JWT_SECRET.
const DEV_SECRET = 'dev-only-secret-change-me-0123456789abcdef'
const ports = { auth: process.env.AUTH_PORT ?? '8000', catalog: process.env.CATALOG_PORT ?? '8001', order: process.env.ORDER_PORT ?? '8002' }
const base = { JWT_SECRET: DEV_SECRET, ...process.env, DATABASE_URL: undefined, AMQP_URL: undefined }
// A dev admin, so the catalog can be built from /docs at once (and `make seed` can log in).
const devAdmin = process.env.ADMIN_USERNAME ? {} : { ADMIN_USERNAME: 'admin', ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'admin-password' }
// The docs pages log in at auth from the browser: the three services' own origins are allowed
// (CORS_ORIGINS overrides), and Authorize posts to this auth.
const docs = docsSettings(Object.values(ports), ports.auth)

const bus = new MemoryBus(createLogger({ service: 'bus', level: (process.env.LOG_LEVEL as 'info' | undefined) ?? 'info' }))
const served: { name: string; s: Served }[] = []

const authConfig = loadAuthConfig({ ...base, ...docs, ...devAdmin, PORT: ports.auth })
const authLog = loggerFor('auth', authConfig)
const catalogConfig = loadCatalogConfig({ ...base, ...docs, PORT: ports.catalog })
const catalogLog = loggerFor('catalog', catalogConfig)
const orderConfig = loadOrderConfig({ ...base, ...docs, PORT: ports.order })
const orderLog = loggerFor('order', orderConfig)

// Traces only when OTEL_EXPORTER_OTLP_ENDPOINT is set: one tracer for the one process, named shop.
const tracing = startTracing({ service: process.env.OTEL_SERVICE_NAME ?? 'shop', endpoint: authConfig.OTEL_EXPORTER_OTLP_ENDPOINT })

const [auth, catalog, order] = await Promise.all([
  startAuth(authConfig, authLog, { bus }),
  startCatalog(catalogConfig, catalogLog, { bus }),
  startOrder(orderConfig, orderLog, { bus }),
])
served.push({ name: 'auth', s: serve('auth', auth, authConfig, authLog) })
served.push({ name: 'catalog', s: serve('catalog', catalog, catalogConfig, catalogLog) })
served.push({ name: 'order', s: serve('order', order, orderConfig, orderLog) })

const lines = served.map(({ name, s }) => `  ${name.padEnd(8)} ${s.url}   docs: ${s.url}/docs`).join('\n')
const adminLine = devAdmin.ADMIN_USERNAME ? `  admin    ${devAdmin.ADMIN_USERNAME} / ${devAdmin.ADMIN_PASSWORD} (dev only; set ADMIN_* to change)\n` : ''
const observing = `  metrics  ${authConfig.METRICS_ENABLED ? 'GET /metrics on each service' : 'off (METRICS_ENABLED=false)'}; traces ${tracing.on ? `to ${authConfig.OTEL_EXPORTER_OTLP_ENDPOINT}` : 'off (set OTEL_EXPORTER_OTLP_ENDPOINT)'}\n`
process.stdout.write(`\nshop is running: three services, embedded PGlite under ${authConfig.DATA_DIR}/, in-memory bus\n${lines}\n${adminLine}${observing}  sample data: make seed\n\n`)

onShutdown(authLog, authConfig.SHUTDOWN_TIMEOUT_MS, async () => {
  await Promise.all(served.map(({ s }) => s.close()))
  await bus.close()
  await tracing.shutdown()
})
