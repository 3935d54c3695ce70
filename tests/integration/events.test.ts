import { envelope, rawEnvelope } from '@shop/platform/testing/fixtures'
import { TEST_EVENT_KEYS } from '@shop/platform/testing/event-keys'
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import postgres from 'postgres'
import { TcpProxy } from '@shop/platform/testing/tcp-proxy'
import { brokerUrl } from '@shop/platform/testing/broker'
import {
  api,
  consumedMark,
  dbUrl,
  eventually,
  publishAs,
  serviceAmqpUrl,
  type ServiceName,
  type Shop,
  startShop,
  deadCount,
  useServers,
  adminToken,
  categoryId,
} from './harness.ts'

/**
 * The event backbone between real processes on the real RabbitMQ: fan-out to every consumer,
 * a broker outage at commit time (auth's and catalog's), duplicates, reordering, and poison messages.
 */
const run = await useServers()
let shop: Shop
/** The services that reach the broker through a proxy the test can cut. */
const BEHIND_PROXY = ['auth', 'catalog'] as const
const proxies = {} as Record<(typeof BEHIND_PROXY)[number], TcpProxy>
const dbs: Record<string, ReturnType<typeof postgres>> = {}

/** As the owner of the routing key would (its broker user; the consumers check the publisher). */
const publishRaw = (routingKey: string, body: string) =>
  publishAs(routingKey.startsWith('user.') ? 'auth' : 'catalog', routingKey, body, {
    signer: TEST_EVENT_KEYS.signers[routingKey.startsWith('user.') ? 'auth' : 'catalog'],
  })
const productEvent = (type: 'product.created' | 'product.updated', id: number, version: number, name: string) =>
  JSON.stringify(
    envelope('catalog', { type, data: { id, name, price: '3.00', stock: 5, category_id: 1, sku: null, version } }),
  )

describe.skipIf(!run)('events between real processes', () => {
  beforeAll(async () => {
    const env: Partial<Record<ServiceName, Record<string, string>>> = {}
    for (const svc of BEHIND_PROXY) {
      proxies[svc] = new TcpProxy('127.0.0.1', Number(new URL(brokerUrl()).port || 5672))
      const viaProxy = new URL(serviceAmqpUrl(svc))
      viaProxy.port = String(await proxies[svc].start())
      env[svc] = { AMQP_URL: viaProxy.toString() }
    }
    shop = await startShop({ env })
    for (const s of ['auth', 'catalog', 'order'] as const) dbs[s] = postgres(dbUrl(s), { max: 2, onnotice: () => {} })
  }, 90_000)
  afterAll(async () => {
    await shop?.stop()
    for (const p of Object.values(proxies)) p.stop()
    for (const sql of Object.values(dbs)) await sql.end()
  })

  const replicaRow = (svc: 'catalog' | 'order', id: string) =>
    dbs[svc]!<
      { version: number; deleted: boolean; role: string }[]
    >`select version, deleted, role from user_replica where id = ${id}`

  test('a user.created reaches every consumer (catalog and order replicas)', async () => {
    const r = await api(shop.auth.url, 'POST', '/api/v1/auth/register', {
      body: { username: 'fan', email: 'fan@example.com', password: 'fan-password' },
    })
    for (const svc of ['catalog', 'order'] as const) {
      const [row] = await eventually(async () => {
        const rows = await replicaRow(svc, r.body.id)
        return rows.length ? rows : undefined
      }, `${svc} replica`)
      expect(row).toMatchObject({ version: 1, deleted: false, role: 'USER' })
    }
  })

  test('the broker is unreachable when the change commits; the event is delivered once it is back', async () => {
    proxies.auth.cut()
    await eventually(
      async () => (await api(shop.auth.url, 'GET', '/health/ready')).status === 503,
      'auth to notice the broker is gone',
    )
    const r = await api(shop.auth.url, 'POST', '/api/v1/auth/register', {
      body: { username: 'offline', email: 'offline@example.com', password: 'offline-password' },
    })
    expect(r.status).toBe(201) // the request does not depend on the broker
    // the relay has tried to publish it, and failed: it waits in the outbox
    await eventually(
      async () => (await dbs.auth!`select 1 from outbox where sent_at is null and attempts >= 1 limit 1`).length === 1,
      'a publish attempt that failed',
    )
    expect(await replicaRow('catalog', r.body.id)).toHaveLength(0)
    await proxies.auth.restore()
    for (const svc of ['catalog', 'order'] as const) {
      await eventually(
        async () => (await replicaRow(svc, r.body.id)).length === 1,
        `${svc} replica after the outage`,
        20_000,
      )
    }
    await eventually(
      async () => (await dbs.auth!`select count(*)::int as n from outbox where sent_at is null`)[0]!.n === 0,
      'outbox drained',
    )
    // exactly once in effect: one inbox-free replica row at version 1
    expect((await replicaRow('order', r.body.id))[0]!.version).toBe(1)
  }, 60_000)

  test('the broker is unreachable when a product is created; ' +
    'product.created reaches order once it is back', async () => {
    const admin = await adminToken(shop.auth.url)
    const category = await categoryId(shop.catalog.url, admin, 'Outage')
    const inOrder = (id: number) =>
      dbs.order!<{ name: string; version: number }[]>`select name, version from products where id = ${id}`
    const unsent = async () =>
      (await dbs.catalog!`select count(*)::int as n from outbox where sent_at is null`)[0]!.n as number
    proxies.catalog.cut()
    await eventually(
      async () => (await api(shop.catalog.url, 'GET', '/health/ready')).status === 503,
      'catalog to notice the broker is gone',
    )
    const p = await api(shop.catalog.url, 'POST', '/api/v1/product', {
      token: admin,
      body: { name: 'Offline lamp', price: '9.90', stock: 4, category_id: category },
    })
    expect(p.status).toBe(201) // the write does not depend on the broker
    // the relay has tried to publish it, and failed: it waits in the outbox
    await eventually(
      async () =>
        (
          await dbs.catalog!`select 1 from outbox where sent_at is null and type = 'product.created'
          and attempts >= 1`
        ).length === 1,
      'a publish attempt that failed',
    )
    const [waiting] =
      await dbs.catalog!`select count(*)::int as n from outbox where sent_at is null and type = 'product.created'`
    expect(waiting!.n).toBe(1)
    expect(await inOrder(p.body.id)).toHaveLength(0)
    await proxies.catalog.restore()
    await eventually(
      async () => (await inOrder(p.body.id)).length === 1,
      'product in the order replica after the outage',
      20_000,
    )
    await eventually(async () => (await unsent()) === 0, 'catalog outbox drained')
    expect((await inOrder(p.body.id))[0]).toEqual({ name: 'Offline lamp', version: 1 })
  }, 60_000)

  test('the same event delivered twice has one effect', async () => {
    const admin = await adminToken(shop.auth.url)
    const u = await api(shop.auth.url, 'POST', '/api/v1/auth/register', {
      body: { username: 'twice', email: 'twice@example.com', password: 'twice-password' },
    })
    await eventually(async () => (await replicaRow('order', u.body.id)).length === 1, 'replica')
    await api(shop.auth.url, 'DELETE', `/api/v1/users/${u.body.id}`, { token: admin })
    await eventually(async () => (await replicaRow('order', u.body.id))[0]?.deleted === true, 'tombstone')
    const [row] = await dbs.auth!<
      { envelope: any }[]
    >`select envelope from outbox where type = 'user.deleted' and envelope->'data'->>'id' = ${u.body.id}`
    // The tombstone is written before the deletion's own inbox claim (the user's orders are
    // cancelled in a second transaction): count only once that claim is in too.
    await eventually(
      async () => (await dbs.order!`select 1 from inbox where event_id = ${row!.envelope.id}`).length === 1,
      'deletion handled',
    )
    const [before] = await dbs.order!`select count(*)::int as n from inbox`
    const taken = await consumedMark(shop.order, 'order.users')
    await publishRaw('user.deleted', JSON.stringify(row!.envelope))
    await taken.reached(1)
    const [after] = await dbs.order!`select count(*)::int as n from inbox`
    expect(after!.n).toBe(before!.n) // recognised as processed: no second effect
    expect((await replicaRow('order', u.body.id))[0]).toMatchObject({ deleted: true, version: 2 })
  })

  test('out of order: product.updated before product.created converges to the newest', async () => {
    const id = 990_001
    const taken = await consumedMark(shop.order, 'order.products')
    await publishRaw('product.updated', productEvent('product.updated', id, 3, 'newest name'))
    await publishRaw('product.created', productEvent('product.created', id, 1, 'first name'))
    await publishRaw('product.updated', productEvent('product.updated', id, 2, 'middle name'))
    await taken.reached(3) // all three handled
    const [row] = await dbs.order!<
      { name: string; version: number }[]
    >`select name, version from products where id = ${id}`
    expect(row).toEqual({ name: 'newest name', version: 3 })
  })

  test('poison messages land in the dead-letter queue while later messages still flow', async () => {
    const deadBefore = await deadCount('order.products')
    await publishRaw('product.created', '{"not": "an envelope"')
    await publishRaw(
      'product.created',
      JSON.stringify(rawEnvelope('product.created', 'catalog', { id: 'NaN', price: 12 })),
    )
    await publishRaw('product.created', productEvent('product.created', 990_002, 1, 'after the poison'))
    await eventually(
      async () => (await dbs.order!`select 1 from products where id = 990002`).length === 1,
      'the valid message after the poison',
    )
    await eventually(async () => (await deadCount('order.products')) === deadBefore + 2, 'two dead letters')
    // the consumer is still alive
    await publishRaw('product.created', productEvent('product.created', 990_003, 1, 'still flowing'))
    await eventually(
      async () => (await dbs.order!`select 1 from products where id = 990003`).length === 1,
      'still flowing',
    )
  })
})
