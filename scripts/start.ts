/**
 * `make start`: the three services as three processes on a real PostgreSQL (one database each,
 * created if missing, migrated at start) and RabbitMQ. Settings come from the environment and
 * `.env` (bun loads it); the defaults work against 127.0.0.1 (postgres user `postgres`; RabbitMQ
 * as each service's own user, shop-auth, shop-catalog, shop-order, which `make broker` creates,
 * with their dev passwords). Per-service overrides: AUTH_DATABASE_URL, CATALOG_DATABASE_URL,
 * ORDER_DATABASE_URL, AUTH_AMQP_URL, CATALOG_AMQP_URL, ORDER_AMQP_URL, AUTH_PORT, CATALOG_PORT,
 * ORDER_PORT. Each service signs its events with its own key (AUTH_EVENT_SIGNING_KEY, ... and
 * EVENT_PUBLIC_KEYS; unset: dev keys made once and kept in DATA_DIR, see event-keys.ts).
 * SIGINT/SIGTERM stop all three gracefully.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { serviceAmqpUrl } from '@shop/platform/bus/broker-setup'
import { eventKeys } from './event-keys.ts'
import { docsSettings } from './origins.ts'

const root = join(import.meta.dir, '..')
const services = [
  { name: 'auth', port: 8000 },
  { name: 'catalog', port: 8001 },
  { name: 'order', port: 8002 },
] as const

const pgBase = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432'

/** Without JWT_SECRET, a random one is made once and kept in DATA_DIR, so tokens survive restarts. */
function jwtSecret(): string {
  if (process.env.JWT_SECRET) return process.env.JWT_SECRET
  const dir = join(root, process.env.DATA_DIR ?? '.data')
  const file = join(dir, 'jwt-secret')
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  mkdirSync(dir, { recursive: true })
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString('base64url')
  writeFileSync(file, secret + '\n', { mode: 0o600 })
  console.error(`start: JWT_SECRET is not set; using a generated one kept in ${file}`)
  return secret
}

const secret = jwtSecret()
const keys = await eventKeys()
const portOf = (name: string, port: number) => process.env[`${name.toUpperCase()}_PORT`] ?? String(port)
// The docs pages log in at auth from the browser: the three services' own origins are allowed
// unless CORS_ORIGINS says otherwise, and Authorize posts to this auth unless AUTH_TOKEN_URL does.
const docs = docsSettings(
  services.map((s) => portOf(s.name, s.port)),
  portOf('auth', 8000),
)
const children = services.map(({ name, port }) => {
  const upper = name.toUpperCase()
  const env = {
    ...process.env,
    ...docs,
    JWT_SECRET: secret,
    EVENT_SIGNING_KEY: keys.signingKeys[name],
    EVENT_PUBLIC_KEYS: keys.publicKeys,
    PORT: portOf(name, port),
    DATABASE_URL: process.env[`${upper}_DATABASE_URL`] ?? `${pgBase}/shop_${name}`,
    AMQP_URL: serviceAmqpUrl(name),
  }
  return {
    name,
    proc: Bun.spawn(['bun', join(root, name, 'src', 'main.ts')], { env, stdout: 'inherit', stderr: 'inherit' }),
  }
})

let stopping = false
function stopAll(signal: 'SIGTERM' | 'SIGINT') {
  if (stopping) return
  stopping = true
  for (const c of children) c.proc.kill(signal)
}
process.on('SIGINT', () => stopAll('SIGTERM'))
process.on('SIGTERM', () => stopAll('SIGTERM'))

// One service dying on its own takes the others down: a half-running shop is worse than none.
const first = await Promise.race(children.map(async (c) => ({ name: c.name, code: await c.proc.exited })))
if (!stopping) {
  console.error(`start: ${first.name} exited with ${first.code}; stopping the others`)
  stopAll('SIGTERM')
}
const codes = await Promise.all(children.map((c) => c.proc.exited))
process.exit(stopping && first.code === 0 && codes.every((c) => c === 0) ? 0 : 1)
