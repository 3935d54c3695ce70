import type { Hono } from 'hono'
import type { Bus, Subscription } from './bus/bus.ts'
import type { HttpAppOptions } from './http/app.ts'
import type { AppEnv } from './http/env.ts'
import type { Logger, RootLogger } from './log.ts'
import { AmqpBus, brokerUser } from './bus/amqp.ts'
import { BROKER_USERS, type Service as ServiceName } from './bus/ownership.ts'
import { MemoryBus } from './bus/memory.ts'
import { checkOwnKey, createKeyring, createSigner, type EventKeyring } from './bus/signing.ts'
import { corsOrigins } from './config.ts'
import { type ServiceMetrics, createMetrics } from './observability/metrics.ts'
import { type Database, openDatabase } from './postgres/connect.ts'
import { migrate } from './postgres/migrate.ts'
import { startHousekeeping } from './postgres/housekeeping.ts'
import { NotReady } from './http/middleware/health.ts'
import { OutboxRelay } from './postgres/relay.ts'
import { type CachedUserReplica, cachedPostgresUserReplica } from './postgres/user-replica.ts'

/**
 * RabbitMQ when AMQP_URL is set, else an in-memory bus (events stay in this process). On
 * RabbitMQ a service connects as its own broker user (BROKER_USERS): consumers apply an event
 * only when its owner's user published it, so any other user would publish into dead letters.
 */
function busFromConfig(
  config: { AMQP_URL?: string | undefined; AMQP_PREFETCH: number },
  name: ServiceName,
  log: Logger,
  keys: EventKeyring,
): Bus {
  if (config.AMQP_URL) {
    const user = brokerUser(config.AMQP_URL)
    if (user !== BROKER_USERS[name]) {
      throw new Error(
        `AMQP_URL connects as broker user "${user}", but the ${name} service must ` +
          `connect as "${BROKER_USERS[name]}" (make broker creates it; see .env.example)`,
      )
    }
    return new AmqpBus({ url: config.AMQP_URL, name, service: name, log, prefetch: config.AMQP_PREFETCH, keys })
  }
  log.warn('AMQP_URL is not set: events use an in-memory bus and reach only services in this process')
  return new MemoryBus(keys, log)
}

export interface BootConfig {
  readonly DATABASE_URL?: string | undefined
  readonly DATABASE_POOL_MAX: number
  readonly STATEMENT_TIMEOUT_MS: number
  readonly DATA_DIR: string
  readonly AMQP_URL?: string | undefined
  readonly AMQP_PREFETCH: number
  readonly CORS_ORIGINS?: string | undefined
  readonly BODY_LIMIT_BYTES: number
  readonly JWT_SECRET: string
  readonly EVENT_SIGNING_KEY: string
  readonly EVENT_PUBLIC_KEYS: string
  readonly METRICS_ENABLED: boolean
  readonly METRICS_TOKEN?: string | undefined
}

export interface BootContext {
  readonly db: Database
  readonly bus: Bus
  readonly log: RootLogger
  /** Call after a commit that wrote events: the relay publishes them now. */
  readonly wake: () => void
  /**
   * What every service's HTTP app is given: its name, logger, body limit, CORS origins, readiness checks, token key,
   * metrics.
   */
  readonly http: Omit<HttpAppOptions, 'docs'> & { readonly secret: string }
  /** The service's metrics registry (for its own metrics); undefined when METRICS_ENABLED is false. */
  readonly metrics: ServiceMetrics | undefined
}

export interface BootOptions {
  readonly name: 'auth' | 'catalog' | 'order'
  readonly config: BootConfig
  readonly log: RootLogger
  readonly migrations: string | readonly string[]
  /**
   * A bus shared by services in one process (embedded mode); it is not closed by this service. It
   * verifies with its own keys (given when it was made): the same EVENT_PUBLIC_KEYS.
   */
  readonly bus?: Bus | undefined
  /** The service keeps a replica of users from user.* events (catalog, order): `ctx.users`, its lookups cached. */
  readonly userReplica?: boolean
}

/** The context `wire` gets: with `users` when the service keeps a user replica. */
export type ContextFor<O extends BootOptions> = O extends { readonly userReplica: true }
  ? BootContext & { readonly users: CachedUserReplica }
  : BootContext

/** Work a service runs on a timer (after its consumers are up; stopped first at shutdown). */
export interface Job {
  readonly name: string
  readonly everyMs: number
  /** One run; a failure is logged and the next tick tries again. */
  run(): Promise<void>
}

export interface Wired {
  readonly app: Hono<AppEnv>
  readonly subscriptions?: readonly Subscription[]
  readonly jobs?: readonly Job[]
}

/** What a composition root returns: its application (commands and queries) and HTTP app, booted. */
export type Service<Application> = Booted<{ readonly app: Hono<AppEnv>; readonly application: Application }>

export type Booted<T> = T & {
  readonly db: Database
  readonly bus: Bus
  readonly relay: OutboxRelay
  /** Readiness answers 503 (`serving` down: shutting down) from now on; everything else goes on. */
  drain(): void
  /** Graceful: stop consuming (in-flight handlers finish and ack), flush the outbox, close the bus and the pool. */
  stop(): Promise<void>
}

/**
 * The lifecycle every composition root shares: load the event keys (its signing key must be among
 * the public keys, under its name), open the database (embedded when no
 * DATABASE_URL) and migrate it, get a bus (given, or from AMQP_URL), let the service wire its
 * application and HTTP app, then start the outbox relay, its consumers and the housekeeping of
 * the messaging tables. A failure on the way closes what was opened.
 */
export async function boot<const O extends BootOptions, T extends Wired>(
  o: O,
  wire: (ctx: ContextFor<O>) => Promise<T> | T,
): Promise<Booted<T>> {
  // Before anything is opened: a key that does not fit stops the service with the reason.
  await checkOwnKey(o.name, o.config.EVENT_SIGNING_KEY, o.config.EVENT_PUBLIC_KEYS)
  const signer = await createSigner(o.config.EVENT_SIGNING_KEY)
  const keys = await createKeyring(o.config.EVENT_PUBLIC_KEYS)
  const db = await openDatabase({
    url: o.config.DATABASE_URL,
    dataDir: o.config.DATA_DIR,
    name: o.name,
    poolMax: o.config.DATABASE_POOL_MAX,
    statementTimeoutMs: o.config.STATEMENT_TIMEOUT_MS,
    log: o.log,
    createIfMissing: true,
  })
  try {
    await migrate(db.sql, o.migrations, o.log)
  } catch (e) {
    await db.close().catch(() => {})
    throw e
  }
  const bus = o.bus ?? busFromConfig(o.config, o.name, o.log, keys)
  const metrics = o.config.METRICS_ENABLED ? createMetrics(o.name) : undefined
  const relay = new OutboxRelay(db.sql, bus, o.log, { signer, metrics })
  if (metrics) {
    metrics.sources.pool = db.pool
    metrics.sources.outbox = () => relay.backlogDetail()
    metrics.sources.consumers = () => bus.attachment?.() ?? {}
    metrics.sources.deadLetters = () => bus.deadLetters?.(o.name) ?? Promise.resolve({})
  }
  let draining = false
  const closeBus = () => (o.bus ? Promise.resolve() : bus.close())
  try {
    // Token checks read the replica through an in-process cache, invalidated on every change.
    const users = o.userReplica ? { users: await cachedPostgresUserReplica(db, o.log) } : {}
    const wired = await wire({
      ...users,
      db,
      bus,
      log: o.log,
      wake: () => relay.wake(),
      http: {
        service: o.name,
        log: o.log,
        bodyLimit: o.config.BODY_LIMIT_BYTES,
        corsOrigins: corsOrigins(o.config.CORS_ORIGINS),
        ready: {
          database: db.ping,
          broker: () => bus.ping(),
          // Connected is not enough: a consumer the broker dropped must show, by its queue's name.
          consumers: async () => {
            const off = Object.entries(bus.attachment?.() ?? {}).filter(([, on]) => !on)
            if (off.length) throw new NotReady(`not attached: ${off.map(([q]) => q).join(', ')}`)
          },
          serving: async () => {
            if (draining) throw new NotReady('shutting down')
          },
        },
        secret: o.config.JWT_SECRET,
        metrics,
        metricsToken: o.config.METRICS_TOKEN,
      },
      metrics,
    } as ContextFor<O>)
    relay.start()
    for (const s of wired.subscriptions ?? []) await bus.subscribe(metrics ? { ...s, metrics } : s)
    const housekeeping = startHousekeeping(db.sql, o.log)
    const jobs = (wired.jobs ?? []).map((j) => startJob(j, o.log))
    return {
      ...wired,
      db,
      bus,
      relay,
      drain() {
        draining = true
      },
      async stop() {
        draining = true
        for (const j of jobs) await j.stop()
        await bus.stopConsuming()
        await relay.stop()
        await housekeeping.stop()
        await closeBus()
        await db.close()
      },
    }
  } catch (e) {
    await relay.stop().catch(() => {})
    await closeBus().catch(() => {})
    await db.close().catch(() => {})
    throw e
  }
}

/** Runs `job` every `everyMs`, never two runs at once; stop() waits for a run in progress. */
function startJob(job: Job, log: Logger): { stop(): Promise<void> } {
  let running: Promise<void> | undefined
  const tick = () => {
    running ??= job
      .run()
      .catch((e) => log.warn(`${job.name} failed; will retry`, { error: (e as Error).message }))
      .finally(() => {
        running = undefined
      })
  }
  const timer = setInterval(tick, job.everyMs)
  timer.unref?.()
  return {
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}
