import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { AMQPClient } from '@cloudamqp/amqp-client'
import { AmqpBus } from '../src/bus/amqp.ts'
import { BROKER_USERS, ownerOf, type Service, SERVICES } from '../src/bus/ownership.ts'
import { subscription } from '../src/bus/topology.ts'
import { type DomainEvent, type Envelope, type EventType, makeEnvelope } from '@shop/kernel/events'
import type { Fields, Logger } from '../src/log.ts'
import { OutboxRelay } from '../src/postgres/relay.ts'
import { transact } from '../src/postgres/transact.ts'
import { ok } from '@shop/kernel/result'
import { brokerUrl, resetShopVhost, serviceUrl, useBrokerSetup, vhostUrl } from '../testing/broker.ts'
import { adapterDatabases } from '../testing/databases.ts'

/**
 * The broker set-up on the real RabbitMQ (a vhost of this checkout's own): each service's user
 * publishes only what it owns, nobody can claim another user's user_id, and a consumer applies
 * only what the owner's user published with the owner's `source`.
 */
const run = await useBrokerSetup()
const vhost = `shop_trust_${Bun.hash(join(import.meta.dir, '..', '..'))
  .toString(36)
  .slice(0, 6)}`
const urlOf = (s: Service) => serviceUrl(brokerUrl(), s, vhost)

class Recorder implements Logger {
  readonly lines: { level: string; msg: string; fields: Fields }[] = []
  private add =
    (level: string) =>
    (msg: string, fields: Fields = {}) =>
      void this.lines.push({ level, msg, fields })
  debug = this.add('debug')
  info = this.add('info')
  warn = this.add('warn')
  error = this.add('error')
  child(): Logger {
    return this
  }
}

const sample: Record<EventType, DomainEvent['data']> = {
  'user.created': { id: crypto.randomUUID(), username: 'u', email: 'u@example.com', role: 'USER', version: 1 },
  'user.updated': { id: crypto.randomUUID(), username: 'u', email: 'u@example.com', role: 'ADMIN', version: 2 },
  'user.deleted': { id: crypto.randomUUID(), version: 3 },
  'product.created': { id: 1, name: 'p', price: '1.00', stock: 1, category_id: 1, version: 1 },
  'product.updated': { id: 1, name: 'p', price: '0.01', stock: 1, category_id: 1, version: 9 },
  'product.deleted': { id: 1, version: 10 },
  'order.placed': { order_id: 1, user_id: crypto.randomUUID(), items: [{ product_id: 1, quantity: 1 }] },
  'stock.reserved': { order_id: 1 },
  'stock.rejected': { order_id: 1, reason: 'r', product_ids: [1] },
  'order.cancelled': { order_id: 1, items: [{ product_id: 1, quantity: 1 }] },
}
const EVENT_TYPES = Object.keys(sample) as EventType[]
const envelope = (type: EventType, source: Service = ownerOf(type), data = sample[type]): Envelope =>
  makeEnvelope(source, { type, data } as DomainEvent, null, crypto.randomUUID(), new Date())

const buses: AmqpBus[] = []
function bus(service: Service, log: Logger = new Recorder()): AmqpBus {
  const b = new AmqpBus({ url: urlOf(service), name: service, service, log, prefetch: 10, maxAttempts: 3 })
  buses.push(b)
  return b
}

/** Raw publish with confirms as `url`'s user; resolves to the broker's refusal, if any. */
async function publishRaw(url: string, routingKey: string, body: string, userId?: string): Promise<string | undefined> {
  const client = new AMQPClient(url)
  await client.connect()
  try {
    const ch = await client.channel()
    await ch.confirmSelect()
    await ch.basicPublish('shop.events', routingKey, body, { deliveryMode: 2, ...(userId ? { userId } : {}) })
    return undefined
  } catch (e) {
    return (e as Error).message
  } finally {
    await client.close().catch(() => {})
  }
}

/** Every message of a dead-letter queue, read as the admin (and removed). */
async function drainDead(queue: string) {
  const client = new AMQPClient(vhostUrl(brokerUrl(), vhost))
  await client.connect()
  const out: { body: Envelope; headers: Record<string, unknown>; userId: string | undefined }[] = []
  try {
    const ch = await client.channel()
    for (;;) {
      const m = await ch.basicGet(`${queue}.dead`, { noAck: true })
      if (!m) break
      out.push({
        body: JSON.parse(m.bodyString() ?? 'null'),
        headers: (m.properties.headers ?? {}) as Record<string, unknown>,
        userId: m.properties.userId,
      })
    }
  } finally {
    await client.close().catch(() => {})
  }
  return out
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 15_000) {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`)
    await Bun.sleep(20)
  }
}

describe.skipIf(!run)('broker users and event ownership on the real RabbitMQ', () => {
  beforeAll(() => resetShopVhost(brokerUrl(), vhost), 60_000)
  afterAll(async () => {
    for (const b of buses) await b.close().catch(() => {})
  })

  test('each service publishes exactly the routing keys it owns: ' +
    'every other one is refused by the broker, with an error logged', async () => {
    const refusedKeys: string[] = []
    for (const s of SERVICES) {
      const log = new Recorder()
      const b = bus(s, log)
      await b.waitUntilConnected(15_000)
      for (const type of EVENT_TYPES) {
        const owned = ownerOf(type) === s
        const outcome = await b.publish([envelope(type, s)]).then(
          () => 'sent',
          (e: Error) => e.message,
        )
        if (owned) expect({ s, type, outcome }).toEqual({ s, type, outcome: 'sent' })
        else {
          expect(outcome).toMatch(/ACCESS_REFUSED/)
          refusedKeys.push(`${s}:${type}`)
        }
      }
      const errors = log.lines.filter((l) => l.level === 'error' && l.msg === 'broker refused the publish')
      expect(errors.length).toBe(EVENT_TYPES.filter((t) => ownerOf(t) !== s).length)
      await b.close()
    }
    expect(refusedKeys.length).toBe(SERVICES.length * EVENT_TYPES.length - EVENT_TYPES.length)
  }, 60_000)

  test(
    "nobody publishes under another user's name: " + "a user_id that is not the connection's own is refused",
    async () => {
      const asGuest = vhostUrl(brokerUrl(), vhost)
      expect(
        await publishRaw(asGuest, 'user.updated', JSON.stringify(envelope('user.updated')), BROKER_USERS.auth),
      ).toMatch(/PRECONDITION_FAILED|user_id/)
      expect(
        await publishRaw(
          urlOf('order'),
          'order.placed',
          JSON.stringify(envelope('order.placed')),
          BROKER_USERS.catalog,
        ),
      ).toMatch(/PRECONDITION_FAILED|user_id/)
      // its own user_id is fine
      expect(
        await publishRaw(urlOf('order'), 'order.placed', JSON.stringify(envelope('order.placed')), BROKER_USERS.order),
      ).toBeUndefined()
    },
  )

  test('a consumer applies only what the owner published as itself; the ' +
    'rest is dead-lettered with the reason, the original publisher kept', async () => {
    // what the catalog queues took in the tests before is out of the way
    await resetShopVhost(brokerUrl(), vhost)
    const log = new Recorder()
    const consumer = bus('catalog', log)
    const applied: string[] = []
    let failures = 0
    const flaky = crypto.randomUUID()
    await consumer.subscribe(
      subscription('catalog', 'orders', async (e) => {
        // fails twice: the retries hand back the same message, so it still comes from order's user
        if (e.id === flaky && failures++ < 2) throw new Error('transient')
        applied.push(e.id)
      }),
    )
    await consumer.waitUntilConnected(15_000)
    const genuine = envelope('order.placed')
    const retried = { ...envelope('order.cancelled'), id: flaky }
    const fromAdmin = envelope('order.placed')
    const fromAdminNoUserId = envelope('order.cancelled')
    const forgedSource = envelope('order.cancelled', 'catalog')
    const asGuest = vhostUrl(brokerUrl(), vhost)
    expect(
      await publishRaw(urlOf('order'), 'order.placed', JSON.stringify(genuine), BROKER_USERS.order),
    ).toBeUndefined()
    expect(
      await publishRaw(urlOf('order'), 'order.cancelled', JSON.stringify(retried), BROKER_USERS.order),
    ).toBeUndefined()
    expect(await publishRaw(asGuest, 'order.placed', JSON.stringify(fromAdmin), 'guest')).toBeUndefined()
    expect(await publishRaw(asGuest, 'order.cancelled', JSON.stringify(fromAdminNoUserId))).toBeUndefined()
    expect(
      await publishRaw(urlOf('order'), 'order.cancelled', JSON.stringify(forgedSource), BROKER_USERS.order),
    ).toBeUndefined()
    await until(() => applied.length === 2, 'the genuine events applied')
    const dead: Awaited<ReturnType<typeof drainDead>> = []
    await until(async () => {
      dead.push(...(await drainDead('catalog.orders')))
      return dead.length >= 3
    }, 'three dead letters')
    await Bun.sleep(200)
    expect(applied.sort()).toEqual([genuine.id, flaky].sort())
    expect(failures).toBe(3)
    const byId = new Map(dead.map((d) => [d.body.id, d]))
    expect([...byId.keys()].sort()).toEqual([fromAdmin.id, fromAdminNoUserId.id, forgedSource.id].sort())
    expect(byId.get(fromAdmin.id)!.headers['x-dead-reason']).toMatch(/not from its owner.*"guest".*shop-order/)
    expect(byId.get(fromAdmin.id)!.headers['x-original-user-id']).toBe('guest')
    expect(byId.get(fromAdminNoUserId.id)!.headers['x-dead-reason']).toMatch(/not from its owner.*\(none\)/)
    expect(byId.get(forgedSource.id)!.headers['x-dead-reason']).toMatch(/source catalog does not own order.cancelled/)
    expect(byId.get(forgedSource.id)!.headers['x-original-user-id']).toBe(BROKER_USERS.order)
    // the body is the original, byte for byte in meaning
    expect(byId.get(forgedSource.id)!.body).toEqual(forgedSource)
    // a warning with the event id for each
    const warned = log.lines
      .filter((l) => l.level === 'warn' && l.msg === 'event dead-lettered: not from its owner')
      .map((l) => l.fields.event_id)
    expect(warned.sort()).toEqual([fromAdmin.id, fromAdminNoUserId.id, forgedSource.id].sort())
    await consumer.close()
  }, 60_000)

  test('a publish the broker refuses leaves its outbox row unsent, ' +
    'logs an error, and the relay keeps trying', async () => {
    const sql = await (await adapterDatabases('broker_trust', []))[0]!.open()
    const db = { sql }
    const log = new Recorder()
    const b = bus('catalog', log)
    await b.waitUntilConnected(15_000)
    // a catalog whose outbox holds an event it does not own (a bug, or a tampered row)
    await transact(
      db.sql,
      { source: 'catalog' },
      (_tx, events) => events,
      async (events) => {
        await events.add({ type: 'user.updated', data: sample['user.updated'] } as DomainEvent, null)
        return ok(null)
      },
    )
    const relay = new OutboxRelay(db.sql, b, log, { pollMs: 50, maxBackoffMs: 200 })
    relay.start()
    await until(() => relay.stats.failures >= 2, 'two refused attempts')
    await relay.stop()
    const [row] = await db.sql<
      { sent_at: Date | null; attempts: number; last_error: string | null }[]
    >`select sent_at, attempts, last_error from outbox`
    expect(row!.sent_at).toBeNull()
    expect(row!.last_error).toMatch(/ACCESS_REFUSED/)
    expect(log.lines.some((l) => l.level === 'error' && l.msg === 'broker refused the publish')).toBe(true)
    await b.close()
  }, 60_000)
})
