/**
 * `make dev`: every service in this one process, each on its own port with its own embedded
 * PGlite database under DATA_DIR (.data/), sharing an in-memory event bus.
 */
import { loggerFor, onShutdown, serve, type Served } from '@shop/shared-kernel/service'
import { loadAuthConfig } from '@shop/auth/config'
import { startAuth } from '@shop/auth/main'

const DEV_SECRET = 'dev-only-secret-change-me-0123456789abcdef'
const env = { JWT_SECRET: DEV_SECRET, ...process.env }
const servedAll: Served[] = []

const authConfig = loadAuthConfig(env)
const authLog = loggerFor('auth', authConfig)
servedAll.push(serve('auth', await startAuth(authConfig, authLog), authConfig, authLog))

const line = (name: string, s: Served) => `  ${name.padEnd(8)} ${s.url}   docs: ${s.url}/docs`
process.stdout.write(`\nshop is running (embedded PGlite under ${authConfig.DATA_DIR}/, in-memory bus)\n${line('auth', servedAll[0]!)}\n\n`)

onShutdown(authLog, authConfig.SHUTDOWN_TIMEOUT_MS, async () => {
  await Promise.all(servedAll.map((s) => s.close()))
})
