/**
 * `make dev`: every service in this one process, each on its own port with its own embedded
 * PGlite database under DATA_DIR (.data/), sharing an in-memory event bus.
 */
import { MemoryBus } from '@shop/shared-kernel/bus/memory'
import { createLogger } from '@shop/shared-kernel/log'
import { loggerFor, onShutdown, serve, type Served } from '@shop/shared-kernel/service'
import { loadAuthConfig } from '@shop/auth/config'
import { startAuth } from '@shop/auth/main'

// A dev-only key, so `make dev` needs no setup; any real deployment must set its own JWT_SECRET.
const DEV_SECRET = 'dev-only-secret-change-me-0123456789abcdef'
const env = { JWT_SECRET: DEV_SECRET, ...process.env, DATABASE_URL: undefined, AMQP_URL: undefined }

const bus = new MemoryBus(createLogger({ service: 'bus', level: (process.env.LOG_LEVEL as 'info') ?? 'info' }))
const served: { name: string; s: Served }[] = []

const authConfig = loadAuthConfig(env)
const authLog = loggerFor('auth', authConfig)
served.push({ name: 'auth', s: serve('auth', await startAuth(authConfig, authLog, { bus }), authConfig, authLog) })

const lines = served.map(({ name, s }) => `  ${name.padEnd(8)} ${s.url}   docs: ${s.url}/docs`).join('\n')
process.stdout.write(`\nshop is running (embedded PGlite under ${authConfig.DATA_DIR}/, in-memory bus)\n${lines}\n\n`)

onShutdown(authLog, authConfig.SHUTDOWN_TIMEOUT_MS, async () => {
  await Promise.all(served.map(({ s }) => s.close()))
  await bus.close()
})
