import type { Hono } from 'hono'
import type { Bus, Subscription } from './bus/bus.ts'
import type { AppEnv } from './http/app.ts'
import type { Logger, RootLogger } from './log.ts'
import { AmqpBus, brokerUser } from './bus/amqp.ts'
import { BROKER_USERS, type Service } from './bus/ownership.ts'
import { MemoryBus } from './bus/memory.ts'
import { type Database, openDatabase } from './postgres/connect.ts'
import { migrate } from './postgres/migrate.ts'
import { OutboxRelay } from './postgres/relay.ts'

/**
 * RabbitMQ when AMQP_URL is set, else an in-memory bus (events stay in this process). On
 * RabbitMQ a service connects as its own broker user (BROKER_USERS): consumers apply an event
 * only when its owner's user published it, so any other user would publish into dead letters.
 */
export function busFromConfig(config: { AMQP_URL?: string | undefined; AMQP_PREFETCH: number }, name: Service, log: Logger): Bus {
  if (config.AMQP_URL) {
    const user = brokerUser(config.AMQP_URL)
    if (user !== BROKER_USERS[name]) {
      throw new Error(`AMQP_URL connects as broker user "${user}", but the ${name} service must connect as "${BROKER_USERS[name]}" (make broker creates it; see .env.example)`)
    }
    return new AmqpBus({ url: config.AMQP_URL, name, service: name, log, prefetch: config.AMQP_PREFETCH })
  }
  log.warn('AMQP_URL is not set: events use an in-memory bus and reach only services in this process')
  return new MemoryBus(log)
}

export interface BootConfig {
  readonly DATABASE_URL?: string | undefined
  readonly DATABASE_POOL_MAX: number
  readonly DATA_DIR: string
  readonly AMQP_URL?: string | undefined
  readonly AMQP_PREFETCH: number
  readonly CORS_ORIGINS?: string | undefined
}

export interface BootContext {
  readonly db: Database
  readonly bus: Bus
  readonly log: RootLogger
  /** Call after a commit that wrote events: the relay publishes them now. */
  readonly wake: () => void
  /** Readiness checks for /health/ready. */
  readonly ready: Readonly<Record<string, () => Promise<unknown>>>
  readonly corsOrigins: readonly string[]
}

export interface Wired {
  readonly app: Hono<AppEnv>
  readonly subscriptions?: readonly Subscription[]
}

export type Booted<T> = T & {
  readonly db: Database
  readonly bus: Bus
  readonly relay: OutboxRelay
  /** Graceful: stop consuming (in-flight handlers finish and ack), flush the outbox, close the bus and the pool. */
  stop(): Promise<void>
}

/**
 * The lifecycle every composition root shares: open the database (embedded when no
 * DATABASE_URL) and migrate it, get a bus (given, or from AMQP_URL), start the outbox relay,
 * let the service wire its core and HTTP app, then start its consumers.
 */
export async function boot<T extends Wired>(o: {
  name: 'auth' | 'catalog' | 'order'
  config: BootConfig
  log: RootLogger
  migrations: string | readonly string[]
  bus?: Bus
  wire: (ctx: BootContext) => Promise<T> | T
}): Promise<Booted<T>> {
  const db = await openDatabase({
    url: o.config.DATABASE_URL,
    dataDir: o.config.DATA_DIR,
    name: o.name,
    poolMax: o.config.DATABASE_POOL_MAX,
    log: o.log,
    createIfMissing: true,
  })
  let bus: Bus | undefined
  let relay: OutboxRelay | undefined
  try {
    await migrate(db.sql, o.migrations, o.log)
    bus = o.bus ?? busFromConfig(o.config, o.name, o.log)
    relay = new OutboxRelay(db.sql, bus, o.log)
    const theBus = bus
    const theRelay = relay
    const wired = await o.wire({
      db,
      bus,
      log: o.log,
      wake: () => theRelay.wake(),
      ready: { database: db.ping, broker: () => theBus.ping() },
      corsOrigins: o.config.CORS_ORIGINS?.split(',').map((s) => s.trim()).filter(Boolean) ?? [],
    })
    relay.start()
    for (const s of wired.subscriptions ?? []) await bus.subscribe(s)
    return {
      ...wired,
      db,
      bus,
      relay,
      async stop() {
        await theBus.stopConsuming()
        await theRelay.stop()
        if (!o.bus) await theBus.close()
        await db.close()
      },
    }
  } catch (e) {
    await relay?.stop().catch(() => {})
    if (bus && !o.bus) await bus.close().catch(() => {})
    await db.close().catch(() => {})
    throw e
  }
}
