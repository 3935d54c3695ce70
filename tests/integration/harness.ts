/**
 * The three services as real processes on the real PostgreSQL and RabbitMQ (a vhost of this
 * checkout's own, `shop_test_<checkout>`, so neither a `make start` on the same machine nor the
 * integration tests of another checkout share its queues: with one `shop_test` vhost for all,
 * two checkouts testing at once consumed each other's events). Each run gets fresh databases and
 * empty queues. Services listen on free ports (PORT=0); their URLs are read from their logs.
 */
import { startThree } from '@shop/platform/testing/fixtures'
import { afterAll, beforeAll } from 'bun:test'
import { join } from 'node:path'
import { AMQPClient } from '@cloudamqp/amqp-client'
import postgres from 'postgres'
import { checkout, repoId, serverUrl, useServer } from '@shop/platform/testing/databases'
import {
  brokerUrl,
  resetShopVhost,
  serviceUrl,
  useBrokerSetup,
  vhostUrl,
  withBrokerChannel,
} from '@shop/platform/testing/broker'
import { api, eventually as poll } from '@shop/platform/testing/client'
import { TEST_EVENT_KEYS } from '@shop/platform/testing/event-keys'
import { consumedCount } from '@shop/platform/testing/metrics'
import { type EventSigner, KEY_ID_HEADER, SIGNATURE_HEADER } from '@shop/platform/bus/signing'

export const root = join(import.meta.dir, '..', '..')
export const SECRET = 'integration-secret-0123456789abcdef0123456789'
export const ADMIN = { username: 'admin', email: 'admin@shop.test', password: 'admin-password-1' }
export type ServiceName = 'auth' | 'catalog' | 'order'
export const SERVICES: readonly ServiceName[] = ['auth', 'catalog', 'order']
export { checkout, repoId }
/**
 * Per checkout (and per worker of `bun test --parallel`), so two working trees, or two files run at
 * once, never share queues.
 */
export const VHOST = `shop_test_${checkout}`

/** Both servers reachable, and the broker's users can be set up (CI: or fail). */
export async function useServers(): Promise<boolean> {
  return (await useServer()) && (await useBrokerSetup())
}

/** The test vhost as the broker's admin (guest): what an attacker with the admin's login could do. */
export const testAmqpUrl = (base = brokerUrl(), vhost = VHOST): string => vhostUrl(base, vhost)

/** The test vhost as `service`'s own broker user, the way the service connects. */
export const serviceAmqpUrl = (service: ServiceName, vhost = VHOST): string => serviceUrl(brokerUrl(), service, vhost)

/** The test vhost is set up (the services' broker users, permissions, exchanges) and holds the shop's queues, empty. */
export const resetBroker = (vhost = VHOST): Promise<void> => resetShopVhost(brokerUrl(), vhost)

/** `fn` on a channel of `vhost` (the tests' own unless told) as the admin: purging, reading, counting. */
export const withShopChannel = <T>(fn: Parameters<typeof withBrokerChannel<T>>[0], vhost = VHOST): Promise<T> =>
  withBrokerChannel(fn, testAmqpUrl(brokerUrl(), vhost))

/** How many messages wait in `queue`'s dead-letter queue (`<queue>.dead`). */
export const deadCount = (queue: string): Promise<number> =>
  withShopChannel(async (ch) => (await ch.queueDeclare(`${queue}.dead`, { passive: true })).messageCount)

/**
 * Publishes raw text on the test vhost's shop.events as `as` (a service's own broker user, whose
 * messages carry its user_id, `admin`: the broker's administrator, guest, or any other broker
 * user's URL), with publisher confirms, signed by `signer` when given (as the relay signs:
 * x-shop-signature and x-shop-key-id over the body's bytes), the message id `messageId` when
 * given. Rejects when the broker refuses it.
 */
export async function publishAs(
  as: ServiceName | 'admin' | { url: string },
  routingKey: string,
  body: string,
  o: { userId?: string; vhost?: string; signer?: EventSigner; messageId?: string } = {},
): Promise<void> {
  const url =
    typeof as === 'object' ? as.url : as === 'admin' ? testAmqpUrl(brokerUrl(), o.vhost) : serviceAmqpUrl(as, o.vhost)
  const client = new AMQPClient(url)
  await client.connect()
  try {
    const ch = await client.channel()
    await ch.confirmSelect()
    const userId = o.userId ?? (as === 'admin' ? undefined : decodeURIComponent(new URL(url).username))
    const bytes = new TextEncoder().encode(body)
    const sig = o.signer ? await o.signer.sign(bytes) : undefined
    await ch.basicPublish('shop.events', routingKey, bytes, {
      deliveryMode: 2,
      contentType: 'application/json',
      ...(userId ? { userId } : {}),
      ...(o.messageId ? { messageId: o.messageId } : {}),
      ...(sig ? { headers: { [SIGNATURE_HEADER]: sig.value, [KEY_ID_HEADER]: sig.keyId } } : {}),
    })
  } finally {
    await client.close().catch(() => {})
  }
}

/**
 * Suites register and log in many users at once from one address (127.0.0.1), and what they test
 * is not the limits: the per-address ones count attempts in flight (an attempt is counted before
 * the password is checked), so 30 parallel logins would meet the default 20. trust.test.ts sets
 * the defaults back.
 */
export const ROOMY_LIMITS = { REGISTER_MAX_PER_ADDRESS: '1000000', LOGIN_MAX_FAILURES_PER_ADDRESS: '100000' } as const

export const dbName = (svc: ServiceName) => `shop_it_${svc}_${checkout}`
export function dbUrl(svc: ServiceName): string {
  const u = new URL(serverUrl())
  u.pathname = `/${dbName(svc)}`
  return u.toString()
}

/** `fn` on a connection of its own to `svc`'s database, closed after. */
export async function withDb<T>(svc: ServiceName, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(dbUrl(svc), { max: 1, onnotice: () => {} })
  try {
    return await fn(sql)
  } finally {
    await sql.end({ timeout: 2 })
  }
}

/** Each service's database dropped and created empty; `name` says what they are called (default: dbName). */
export async function resetDatabases(name: (svc: ServiceName) => string = dbName): Promise<void> {
  const sql = postgres(serverUrl(), { max: 1, onnotice: () => {} })
  try {
    for (const s of SERVICES) {
      await sql`drop database if exists ${sql(name(s))} with (force)`
      await sql`create database ${sql(name(s))}`
    }
  } finally {
    await sql.end()
  }
}

export class Service {
  url = ''
  readonly output: string[] = []
  proc!: ReturnType<typeof Bun.spawn>
  constructor(
    readonly name: ServiceName,
    readonly env: Record<string, string>,
  ) {}

  async start(timeoutMs = 30_000): Promise<void> {
    this.url = ''
    this.proc = Bun.spawn(['bun', join(root, this.name, 'src', 'main.ts')], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...this.env },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    // A test run that ends abruptly (a failed file, a crash) must not leave services behind.
    const proc = this.proc
    process.once('exit', () => proc.kill('SIGKILL'))
    const ready = new Promise<void>((resolve, reject) => {
      const read = async (stream: ReadableStream<Uint8Array>) => {
        const decoder = new TextDecoder()
        let buf = ''
        for await (const chunk of stream) {
          buf += decoder.decode(chunk, { stream: true })
          for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
            const line = buf.slice(0, nl)
            buf = buf.slice(nl + 1)
            this.output.push(line)
            if (this.output.length > 2000) this.output.shift()
            if (!this.url && line.includes('"msg":"listening"')) {
              try {
                this.url = JSON.parse(line).url
                resolve()
              } catch {}
            }
          }
        }
      }
      void read(this.proc.stdout as ReadableStream<Uint8Array>)
      void read(this.proc.stderr as ReadableStream<Uint8Array>)
      void this.proc.exited.then((code) =>
        reject(new Error(`${this.name} exited with ${code} before listening:\n${this.output.slice(-20).join('\n')}`)),
      )
      setTimeout(
        () =>
          reject(
            new Error(`${this.name} did not listen within ${timeoutMs} ms:\n${this.output.slice(-20).join('\n')}`),
          ),
        timeoutMs,
      )
    })
    await ready
    // listening is not ready: wait for the database and the broker
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const r = await fetch(`${this.url}/health/ready`).catch(() => undefined)
      if (r?.ok) return
      await Bun.sleep(50)
    }
    throw new Error(`${this.name} not ready:\n${this.output.slice(-20).join('\n')}`)
  }

  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<number> {
    this.proc.kill(signal)
    return this.proc.exited
  }

  logs(): Record<string, unknown>[] {
    return this.output.flatMap((l) => {
      try {
        return [JSON.parse(l)]
      } catch {
        return []
      }
    })
  }
}

export interface Shop {
  readonly auth: Service
  readonly catalog: Service
  readonly order: Service
  stop(): Promise<void>
}

/** In a describe block: a shop of real processes started before its tests (given to `set`) and stopped after them. */
export function withShop(set: (shop: Shop) => void, o: Parameters<typeof startShop>[0] = {}): void {
  let shop: Shop | undefined
  beforeAll(async () => {
    shop = await startShop(o)
    set(shop)
  }, 90_000)
  afterAll(async () => {
    await shop?.stop()
  })
}

/**
 * Fresh databases and queues, then the three services started and ready. `vhost` gives the run a
 * broker vhost of its own (created when missing), so suites of several checkouts never share queues.
 */
export async function startShop(
  o: { vhost?: string; env?: Partial<Record<ServiceName, Record<string, string>>> } = {},
): Promise<Shop> {
  await resetDatabases()
  await resetBroker(o.vhost)
  const common = {
    JWT_SECRET: SECRET,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    BCRYPT_COST: '4',
    // The test run shares one server's connection limit with its own pools: keep each service small.
    DATABASE_POOL_MAX: '5',
    ...ROOMY_LIMITS,
  }
  const make = (s: ServiceName, extra: Record<string, string> = {}) =>
    new Service(s, {
      ...common,
      DATABASE_URL: dbUrl(s),
      AMQP_URL: serviceAmqpUrl(s, o.vhost),
      ...TEST_EVENT_KEYS.env(s),
      ...extra,
      ...(o.env?.[s] ?? {}),
    })
  const { auth, catalog, order } = await startThree(make, ADMIN)
  return {
    auth,
    catalog,
    order,
    async stop() {
      await Promise.all([auth, catalog, order].map((s) => s.stop().catch(() => 0)))
    },
  }
}

export { api }

export const eventually = <T>(fn: () => Promise<T | undefined | false>, what: string, ms = 15_000): Promise<T> =>
  poll(fn, what, ms)

/** A login at auth (`authUrl`), the admin's unless told otherwise: its access token. */
export async function adminToken(authUrl: string, username = ADMIN.username, password = ADMIN.password) {
  const r = await api(authUrl, 'POST', '/api/v1/auth/login', { body: { username, password } })
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`)
  return r.body.access_token as string
}

/** A category named `name` at the catalog (`catalogUrl`), created by `token`'s admin: its id. */
export async function categoryId(catalogUrl: string, token: string, name: string): Promise<number> {
  const r = await api(catalogUrl, 'POST', '/api/v1/category', { token, body: { name } })
  if (r.status !== 201) throw new Error(`POST /category ${name}: ${r.status} ${r.text}`)
  return r.body.id
}

/** Messages a service has taken from one of its queues, whatever the outcome (its /metrics). */
export async function consumed(service: { url: string }, queue: string): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text()
  return consumedCount(text, queue)
}

/**
 * A mark on a queue's count of messages taken: `reached(n)` waits (a bounded poll) until `n` more
 * have been taken since the mark, so a test can check that a message changed nothing once it is
 * known to have been handled, rather than after a guessed sleep.
 */
export async function consumedMark(service: { url: string }, queue: string) {
  const from = await consumed(service, queue)
  return {
    reached: (n: number, ms = 15_000) =>
      poll(async () => (await consumed(service, queue)) >= from + n, `${n} more messages taken from ${queue}`, ms),
  }
}
