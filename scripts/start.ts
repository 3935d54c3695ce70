/**
 * `make start`: the three services on a real PostgreSQL (one database each, created if missing,
 * migrated at start) and RabbitMQ, as children of a supervisor (scripts/supervisor.ts) that
 * restarts one when it dies while the others keep serving. Settings come from the environment and
 * `.env` (bun loads it); the defaults work against 127.0.0.1 (postgres user `postgres`; RabbitMQ
 * as each service's own user, shop-auth, shop-catalog, shop-order, which `make broker` creates,
 * with their dev passwords). Per-service overrides: AUTH_DATABASE_URL, CATALOG_DATABASE_URL,
 * ORDER_DATABASE_URL, AUTH_AMQP_URL, CATALOG_AMQP_URL, ORDER_AMQP_URL, AUTH_PORT, CATALOG_PORT,
 * ORDER_PORT. Each service signs its events with its own key (AUTH_EVENT_SIGNING_KEY, ... and
 * EVENT_PUBLIC_KEYS; unset: dev keys made once and kept in DATA_DIR, see event-keys.ts).
 * SIGINT/SIGTERM stop all gracefully.
 *
 * INSTANCES=N: N processes of each service on internal ports (from INSTANCE_PORTS_FROM: auth's at
 * +0.., catalog's at +100.., order's at +200.., on 127.0.0.1) behind HAProxy, which owns the public
 * ports (scripts/haproxy.ts writes its configuration). `make rollout` (scripts/rollout.ts) asks
 * this process, through its control socket `DATA_DIR/start.sock`, to restart every instance one
 * at a time.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { serviceAmqpUrl } from '@shop/platform/bus/broker-setup'
import type { Service } from '@shop/platform/bus/ownership'
import { eventKeys } from './event-keys.ts'
import { type HaproxyOptions, type ProxiedService, haproxyConfig } from './haproxy.ts'
import { docsSettings } from './origins.ts'
import { type ChildSpec, Supervisor } from './supervisor.ts'

const root = join(import.meta.dir, '..')
const SERVICES = [
  { name: 'auth', port: 8000 },
  { name: 'catalog', port: 8001 },
  { name: 'order', port: 8002 },
] as const

type Env = Record<string, string | undefined>

/** HAProxy's own loopback address towards the instances: the one peer whose X-Forwarded-For they trust. */
export const HAPROXY_SOURCE = '127.0.0.2'

/** Where the control socket of a `make start` using `env`'s DATA_DIR is (scripts/rollout.ts talks to it). */
export const controlSocket = (env: Env): string => resolve(root, env.DATA_DIR ?? '.data', 'start.sock')

const portOf = (env: Env, name: string, port: number) => Number(env[`${name.toUpperCase()}_PORT`] ?? port)

export interface Plan {
  readonly services: readonly ProxiedService[]
  readonly haproxy: HaproxyOptions
}

/** The instances of each service and HAProxy's options for `instances` processes of each. */
export function plannedInstances(env: Env, instances: number): Plan {
  const from = Number(env.INSTANCE_PORTS_FROM ?? 18000)
  const services = SERVICES.map((s, k) => ({
    name: s.name,
    port: portOf(env, s.name, s.port),
    instances: Array.from({ length: instances }, (_, i) => ({ name: `${s.name}${i + 1}`, port: from + 100 * k + i })),
  }))
  const haproxy = {
    services,
    bind: env.HOST ?? '0.0.0.0',
    upstream: '127.0.0.1',
    source: HAPROXY_SOURCE,
    socket: resolve(root, env.DATA_DIR ?? '.data', 'haproxy.sock'),
  }
  return { services, haproxy }
}

/** INSTANCES as a count: unset or empty means none (the services on their public ports, no HAProxy). */
export function instancesOf(env: Env): number {
  const v = env.INSTANCES
  if (v === undefined || v === '') return 0
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 16) throw new Error('INSTANCES must be a whole number, 1 to 16')
  return Number(v)
}

/** Without JWT_SECRET, a random one is made once and kept in DATA_DIR, so tokens survive restarts. */
function jwtSecret(env: Env): string {
  if (env.JWT_SECRET) return env.JWT_SECRET
  const dir = join(root, env.DATA_DIR ?? '.data')
  const file = join(dir, 'jwt-secret')
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  mkdirSync(dir, { recursive: true })
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString('base64url')
  writeFileSync(file, `${secret}\n`, { mode: 0o600 })
  console.error(`start: JWT_SECRET is not set; using a generated one kept in ${file}`)
  return secret
}

const say = (line: string) => console.error(line)

async function main(env: Env): Promise<never> {
  const instances = instancesOf(env)
  const dataDir = resolve(root, env.DATA_DIR ?? '.data')
  mkdirSync(dataDir, { recursive: true })
  const socketPath = controlSocket(env)
  if (existsSync(socketPath)) {
    const running = await fetch('http://start/status', { unix: socketPath }).then(
      (r) => r.ok,
      () => false,
    )
    if (running) {
      say(`start: a make start with DATA_DIR ${dataDir} is already running (${socketPath} answers)`)
      process.exit(1)
    }
    rmSync(socketPath, { force: true })
  }
  const secret = jwtSecret(env)
  // Every instance of a service signs with that service's key.
  const keys = await eventKeys(env)
  const pgBase = env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432'
  // The docs pages log in at auth from the browser: the three services' public origins are allowed
  // unless CORS_ORIGINS says otherwise, and Authorize posts to this auth unless AUTH_TOKEN_URL does.
  const docs = docsSettings(
    SERVICES.map((s) => String(portOf(env, s.name, s.port))),
    String(portOf(env, 'auth', 8000)),
  )
  const common = (name: string) => ({
    ...env,
    ...docs,
    JWT_SECRET: secret,
    EVENT_SIGNING_KEY: keys.signingKeys[name as Service],
    EVENT_PUBLIC_KEYS: keys.publicKeys,
    DATABASE_URL: env[`${name.toUpperCase()}_DATABASE_URL`] ?? `${pgBase}/shop_${name}`,
    AMQP_URL: serviceAmqpUrl(name as Service),
  })
  const service = (name: string, id: string, port: number, extra: Env): ChildSpec => {
    const host = extra.HOST ?? env.HOST
    const reach = !host || host === '0.0.0.0' ? '127.0.0.1' : host
    return {
      id,
      service: name,
      cmd: ['bun', join(root, name, 'src', 'main.ts')],
      env: { ...common(name), PORT: String(port), ...extra },
      readyUrl: `http://${reach}:${port}/health/ready`,
    }
  }
  const shutdownMs = Number(env.SHUTDOWN_TIMEOUT_MS ?? 8000)
  const plan = plannedInstances(env, instances)
  const supervisor = new Supervisor({
    say,
    stopTimeoutMs: shutdownMs + 5000,
    haproxySocket: instances ? plan.haproxy.socket : undefined,
  })

  if (instances) {
    const haproxy = Bun.which('haproxy')
    if (!haproxy) {
      say('start: INSTANCES needs HAProxy, which is not installed: `make haproxy` installs it (apt-get, as root)')
      process.exit(1)
    }
    const cfg = join(dataDir, 'haproxy.cfg')
    writeFileSync(cfg, haproxyConfig(plan.haproxy))
    const check = Bun.spawnSync([haproxy, '-c', '-q', '-f', cfg])
    if (check.exitCode !== 0) {
      say(`start: ${cfg} is not valid:\n${check.stderr.toString()}${check.stdout.toString()}`)
      process.exit(1)
    }
    rmSync(plan.haproxy.socket, { force: true })
    supervisor.start({ id: 'haproxy', service: 'haproxy', cmd: [haproxy, '-db', '-f', cfg], env: { ...env } })
    for (const s of plan.services)
      for (const i of s.instances)
        supervisor.start(
          service(s.name, i.name, i.port, {
            HOST: '127.0.0.1',
            // Long enough for HAProxy's checks (every 500 ms, out after 2) to see readiness turn
            // false before the server stops accepting, when something else than `make rollout`
            // (which drains the instance in HAProxy first) sends SIGTERM.
            SHUTDOWN_DRAIN_MS: env.SHUTDOWN_DRAIN_MS ?? '2000',
            // Only HAProxy's address: a client reaching an instance directly cannot choose its address.
            ...(s.name === 'auth' ? { TRUST_PROXY: HAPROXY_SOURCE } : {}),
          }),
        )
    say(
      `start: ${instances} instance(s) of each service behind HAProxy (public ports ` +
        `${plan.services.map((s) => s.port).join(', ')}; instances on ${plan.services
          .map((s) => `${s.name} ${s.instances.map((i) => i.port).join('/')}`)
          .join(', ')}); make rollout restarts them one at a time`,
    )
  } else {
    for (const s of plan.services) supervisor.start(service(s.name, s.name, s.port, {}))
  }

  // The control socket: GET /status, POST /rollout (answered at once; /status says when it is done
  // and how it went: a request held open for the whole rollout would meet the server's idle timeout).
  let lastRollout: Record<string, unknown> | undefined
  const control = Bun.serve({
    unix: socketPath,
    fetch(req) {
      const path = new URL(req.url).pathname
      if (req.method === 'GET' && path === '/status')
        return Response.json({
          instances,
          rolling_out: supervisor.rollingOut,
          last_rollout: lastRollout ?? null,
          children: supervisor.status(),
        })
      if (req.method === 'POST' && path === '/rollout') {
        if (supervisor.rollingOut) return Response.json({ error: 'a rollout is already running' }, { status: 409 })
        say('rollout: restarting every instance, one at a time')
        const started = new Date().toISOString()
        lastRollout = undefined
        supervisor.rollout().then(
          (report) => {
            lastRollout = { started, ...report }
            say(`rollout: done in ${report.ms} ms`)
          },
          (e: Error) => {
            lastRollout = { started, error: e.message }
            say(`rollout: failed: ${e.message}`)
          },
        )
        return Response.json({ started }, { status: 202 })
      }
      return Response.json({ error: 'not found' }, { status: 404 })
    },
  })

  const done = Promise.withResolvers<never>()
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    say(`start: ${signal}: stopping every service gracefully`)
    const clean = await supervisor.stopAll()
    await control.stop(true)
    rmSync(socketPath, { force: true })
    process.exit(clean ? 0 : 1)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
  return done.promise
}

if (import.meta.main) await main(process.env)
