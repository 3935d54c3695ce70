import { repoId } from '../testing/databases.ts'
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eventually } from '../testing/until.ts'
import { AMQPClient } from '@cloudamqp/amqp-client'
import { AmqpBus } from '../src/bus/amqp.ts'
import { BROKER_USERS, ownerOf, type Service, SERVICES } from '../src/bus/ownership.ts'
import { subscription } from '../src/bus/topology.ts'
import type { DomainEvent, Envelope, EventType } from '@shop/kernel/events'
import { envelope } from '../testing/fixtures.ts'
import type { Fields, Logger } from '../src/log.ts'
import { OutboxRelay } from '../src/postgres/relay.ts'
import { transact } from '../src/postgres/transact.ts'
import { ok } from '@shop/kernel/result'
import { brokerPasswords, brokerUrl, resetShopVhost, serviceUrl, useBrokerSetup, vhostUrl } from '../testing/broker.ts'
import { brokerUser } from '../src/bus/amqp.ts'
import { applyBrokerSetup } from '../src/bus/broker-setup.ts'
import { DEAD_LETTER_LIMITS, DEAD_LETTER_POLICY, MAX_MESSAGE_BYTES } from '../src/bus/topology.ts'
import { adapterDatabases } from '../testing/databases.ts'
import { TEST_EVENT_KEYS as keys } from '../testing/event-keys.ts'
import {
  createKeyring,
  createSigner,
  type EventSigner,
  generateEventKey,
  KEY_ID_HEADER,
  publicKeyEntry,
  SIGNATURE_HEADER,
  signEvents,
} from '../src/bus/signing.ts'

/**
 * The broker set-up on the real RabbitMQ (a vhost of this checkout's own): each service's user
 * publishes only what it owns, nobody can claim another user's user_id, and a consumer applies
 * only what the owner's user published with the owner's `source`.
 */
const run = await useBrokerSetup()
const vhost = `shop_trust_${repoId}`
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
/** An envelope of `type` with its sample data, from its owner unless `source` says otherwise. */
const sampleEvent = (type: EventType, source: Service = ownerOf(type), data = sample[type]): Envelope =>
  envelope(source, { type, data } as DomainEvent)

const buses: AmqpBus[] = []
function bus(service: Service, log: Logger = new Recorder()): AmqpBus {
  const b = new AmqpBus({
    url: urlOf(service),
    name: service,
    service,
    log,
    prefetch: 10,
    maxAttempts: 3,
    keys: keys.keyring,
  })
  buses.push(b)
  return b
}

/**
 * Raw publish with confirms as `url`'s user, signed by `signer` (the owner of the routing key's
 * type unless said otherwise; null: unsigned); resolves to the broker's refusal, if any.
 */
async function publishRaw(
  url: string,
  routingKey: string,
  text: string | Uint8Array,
  userId?: string,
  signer: EventSigner | null = keys.signers[ownerOf(routingKey as EventType)],
): Promise<string | undefined> {
  const client = new AMQPClient(url)
  await client.connect()
  try {
    const ch = await client.channel()
    await ch.confirmSelect()
    const body = typeof text === 'string' ? new TextEncoder().encode(text) : text
    const sig = signer ? await signer.sign(body) : undefined
    await ch.basicPublish('shop.events', routingKey, body, {
      deliveryMode: 2,
      ...(userId ? { userId } : {}),
      ...(sig ? { headers: { [SIGNATURE_HEADER]: sig.value, [KEY_ID_HEADER]: sig.keyId } } : {}),
    })
    return undefined
  } catch (e) {
    return (e as Error).message
  } finally {
    await client.close().catch(() => {})
  }
}

/** `publishRaw` of the sample event of `type`, claiming `userId`. */
const publishSample = (url: string, type: EventType, userId: string) =>
  publishRaw(url, type, JSON.stringify(sampleEvent(type)), userId)

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
        const outcome = await b.publish(await signEvents(keys.signers[s], [sampleEvent(type, s)])).then(
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
      expect(await publishSample(asGuest, 'user.updated', BROKER_USERS.auth)).toMatch(/PRECONDITION_FAILED|user_id/)
      expect(await publishSample(urlOf('order'), 'order.placed', BROKER_USERS.catalog)).toMatch(
        /PRECONDITION_FAILED|user_id/,
      )
      // its own user_id is fine
      expect(await publishSample(urlOf('order'), 'order.placed', BROKER_USERS.order)).toBeUndefined()
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
    const genuine = sampleEvent('order.placed')
    const retried = { ...sampleEvent('order.cancelled'), id: flaky }
    const fromAdmin = sampleEvent('order.placed')
    const fromAdminNoUserId = sampleEvent('order.cancelled')
    const forgedSource = sampleEvent('order.cancelled', 'catalog')
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
    await eventually(() => applied.length === 2, 'the genuine events applied')
    const dead: Awaited<ReturnType<typeof drainDead>> = []
    await eventually(async () => {
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
    const relay = new OutboxRelay(db.sql, b, log, { pollMs: 50, maxBackoffMs: 200, signer: keys.signers.catalog })
    relay.start()
    await eventually(() => relay.stats.failures >= 2, 'two refused attempts')
    await relay.stop()
    const [row] = await db.sql<
      { sent_at: Date | null; attempts: number; last_error: string | null }[]
    >`select sent_at, attempts, last_error from outbox`
    expect(row!.sent_at).toBeNull()
    expect(row!.last_error).toMatch(/ACCESS_REFUSED/)
    expect(log.lines.some((l) => l.level === 'error' && l.msg === 'broker refused the publish')).toBe(true)
    await b.close()
  }, 60_000)

  test('a key rotation: while two keys of the owner are listed, events signed with either apply; once the old one ' +
    'is dropped, what it signs is dead (unknown key)', async () => {
    await resetShopVhost(brokerUrl(), vhost)
    const next = await generateEventKey('order-next')
    const rotating = `${keys.publicKeys},${publicKeyEntry('order', 'order-next', next.publicKey)}`
    const after = keys.publicKeys
      .split(',')
      .filter((e) => !e.startsWith('order:'))
      .concat(publicKeyEntry('order', 'order-next', next.publicKey))
      .join(',')
    const signers = { old: keys.signers.order, next: await createSigner(next.signingKey) }
    const run = async (publicKeys: string) => {
      const log = new Recorder()
      const keyring = await createKeyring(publicKeys)
      const applied: string[] = []
      const make = (service: Service) =>
        new AmqpBus({ url: urlOf(service), name: service, service, log, prefetch: 10, maxAttempts: 3, keys: keyring })
      const consumer = make('catalog')
      const publisher = make('order')
      buses.push(consumer, publisher)
      await consumer.subscribe(subscription('catalog', 'orders', async (e) => void applied.push(e.id)))
      await Promise.all([consumer.waitUntilConnected(15_000), publisher.waitUntilConnected(15_000)])
      const sent = { old: sampleEvent('order.placed'), next: sampleEvent('order.placed') }
      await publisher.publish([
        ...(await signEvents(signers.old, [sent.old])),
        ...(await signEvents(signers.next, [sent.next])),
      ])
      const refused = () => log.lines.filter((l) => l.msg === 'event dead-lettered: not from its owner')
      await eventually(() => applied.length + refused().length === 2, 'both handled')
      await consumer.close()
      await publisher.close()
      return { applied, sent, refused: refused().map((l) => l.fields.reason) }
    }
    const during = await run(rotating)
    expect(during.applied.sort()).toEqual([during.sent.old.id, during.sent.next.id].sort())
    const done = await run(after)
    expect(done.applied).toEqual([done.sent.next.id])
    expect(done.refused).toEqual([`signed with an unknown key "${keys.signers.order.keyId}"`])
    await drainDead('catalog.orders')
  }, 60_000)

  test('the broker refuses a message over max_message_size at the publish: ' +
    'no queue keeps it, no consumer reads it', async () => {
    const asGuest = vhostUrl(brokerUrl(), vhost)
    const refusal = await publishRaw(asGuest, 'nothing.bound', new Uint8Array(30 * 1024 * 1024), undefined, null)
    expect(refusal).toMatch(new RegExp(`PRECONDITION_FAILED.*larger than configured max size ${MAX_MESSAGE_BYTES}`))
    // the limit itself passes
    expect(
      await publishRaw(asGuest, 'nothing.bound', new Uint8Array(MAX_MESSAGE_BYTES), undefined, null),
    ).toBeUndefined()
  }, 60_000)

  test("every dead-letter queue is bounded by the set-up's policy; beyond the bound the oldest dead letters " +
    'go, and the fill is what deadLetters() (the gauge) reads', async () => {
    const policies = await rabbitmqctl(['list_policies', '-p', vhost, '--formatter', 'json'])
    const policy = (JSON.parse(policies) as { name: string; pattern: string; definition: unknown }[]).find(
      (p) => p.name === DEAD_LETTER_POLICY,
    )
    expect(policy?.pattern).toBe('\\.dead$')
    expect(typeof policy?.definition === 'string' ? JSON.parse(policy.definition) : policy?.definition).toEqual({
      'max-length': DEAD_LETTER_LIMITS.maxLength,
      'max-length-bytes': DEAD_LETTER_LIMITS.maxLengthBytes,
      overflow: 'drop-head',
    })
    // the same policy with a bound of 2, on this vhost only
    const admins = [{ name: brokerUser(brokerUrl()) }]
    const small = { maxLength: 2, maxLengthBytes: 1_000_000 }
    await applyBrokerSetup({ vhost, passwords: brokerPasswords(), admins, deadLetterLimits: small })
    try {
      await drainDead('catalog.orders')
      await eventually(
        async () =>
          (await rabbitmqctl(['list_queues', '-p', vhost, 'name', 'policy'])).includes(
            `catalog.orders.dead\t${DEAD_LETTER_POLICY}`,
          ),
        'the policy on catalog.orders.dead',
      )
      const log = new Recorder()
      const consumer = bus('catalog', log)
      await consumer.subscribe(subscription('catalog', 'orders', async () => {}))
      await consumer.waitUntilConnected(15_000)
      // five unsigned events from order's own user: each one dead
      const ids: string[] = []
      for (let i = 0; i < 5; i++) {
        const env = sampleEvent('order.placed')
        ids.push(env.id)
        const text = JSON.stringify(env)
        expect(await publishRaw(urlOf('order'), 'order.placed', text, BROKER_USERS.order, null)).toBeUndefined()
      }
      const kept = async () => (await consumer.deadLetters('catalog'))['catalog.orders.dead'] ?? -1
      const refused = () => log.lines.filter((l) => l.msg === 'event dead-lettered: not from its owner').length
      await eventually(() => refused() === 5, 'five refused')
      // every copy was taken (drop-head never refuses one); the bound holds, the latest are kept
      await eventually(async () => (await kept()) === small.maxLength, 'the bound')
      await Bun.sleep(200)
      expect(await kept()).toBe(small.maxLength)
      expect(log.lines.filter((l) => l.msg.startsWith('dead letter with its reason could not'))).toEqual([])
      expect((await drainDead('catalog.orders')).map((d) => d.body.id)).toEqual(ids.slice(-small.maxLength))
      expect(Object.keys(await consumer.deadLetters('catalog')).sort()).toEqual([
        'catalog.orders.dead',
        'catalog.users.dead',
      ])
      await consumer.close()
    } finally {
      await applyBrokerSetup({ vhost, passwords: brokerPasswords(), admins })
    }
  }, 60_000)
})

async function rabbitmqctl(args: string[]): Promise<string> {
  const p = Bun.spawn(['rabbitmqctl', '-q', ...args], { stdout: 'pipe', stderr: 'pipe' })
  const [out, err] = [await new Response(p.stdout).text(), await new Response(p.stderr).text()]
  if ((await p.exited) !== 0) throw new Error(`rabbitmqctl ${args.join(' ')}: ${err}`)
  return out
}
