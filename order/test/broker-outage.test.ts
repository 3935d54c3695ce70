import { repoId } from '@shop/platform/testing/databases'
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eventually } from '@shop/platform/testing/until'
import { AMQPClient } from '@cloudamqp/amqp-client'
import postgres from 'postgres'
import type { Envelope } from '@shop/kernel/events'
import { silentLogger } from '@shop/platform/log'
import { brokerUrl, resetShopVhost, serviceUrl, useBrokerSetup, vhostUrl } from '@shop/platform/testing/broker'
import { serverUrl, useServer } from '@shop/platform/testing/databases'
import { call, tokenFactory } from '@shop/platform/testing/http'
import { TcpProxy } from '@shop/platform/testing/tcp-proxy'
import { loadOrderConfig } from '../src/config.ts'
import { type OrderService, startOrder } from '../src/main.ts'
import { SECRET, applyProduct, productCreated } from './support.ts'
import { TEST_EVENT_KEYS } from '@shop/platform/testing/event-keys'

/**
 * The order service as it runs (its composition root, PostgreSQL, RabbitMQ), reaching the broker
 * through a proxy the test cuts: an order placed while the broker is unreachable is accepted, its
 * order.placed waits in the outbox, and reaches the catalog's queue once the broker is back.
 */
const run = (await useServer()) && (await useBrokerSetup())
// Per checkout, so two working trees on one machine never share the database or the queues.
const name = `shop_test_order_outage_${repoId}`

let service: OrderService
let proxy: TcpProxy
let db: ReturnType<typeof postgres>

/** Takes what waits in the catalog's order queue (read on the broker directly, not through the proxy). */
async function takeCatalogOrders(): Promise<Envelope[]> {
  const client = new AMQPClient(vhostUrl(brokerUrl(), name))
  await client.connect()
  try {
    const ch = await client.channel()
    const got: Envelope[] = []
    for (
      let m = await ch.basicGet('catalog.orders', { noAck: true });
      m;
      m = await ch.basicGet('catalog.orders', { noAck: true })
    ) {
      got.push(JSON.parse(m.bodyToString() ?? 'null'))
    }
    return got
  } finally {
    await client.close().catch(() => {})
  }
}

describe.skipIf(!run)('order: the broker is down when an order commits', () => {
  beforeAll(async () => {
    await resetShopVhost(brokerUrl(), name)
    const admin = postgres(serverUrl(), { max: 1, onnotice: () => {} })
    await admin.unsafe(`drop database if exists ${name} with (force)`)
    await admin.unsafe(`create database ${name}`)
    await admin.end()
    const databaseUrl = new URL(serverUrl())
    databaseUrl.pathname = `/${name}`
    proxy = new TcpProxy('127.0.0.1', Number(new URL(brokerUrl()).port || 5672))
    // as the order service's own broker user, set up on this vhost by resetShopVhost
    const viaProxy = new URL(serviceUrl(brokerUrl(), 'order', name))
    viaProxy.port = String(await proxy.start())
    const config = loadOrderConfig({
      DATABASE_URL: databaseUrl.toString(),
      DATABASE_POOL_MAX: '3',
      AMQP_URL: viaProxy.toString(),
      JWT_SECRET: SECRET,
      ...TEST_EVENT_KEYS.env('order'),
    })
    service = await startOrder(config, { ...silentLogger, close: () => {} })
    db = postgres(databaseUrl.toString(), { max: 1, onnotice: () => {} })
  }, 60_000)
  afterAll(async () => {
    await service?.stop()
    proxy?.stop()
    await db?.end()
  })

  test('the order is placed; its order.placed is published once the broker is back', async () => {
    const product = productCreated({ id: 1, name: 'lamp', price: '12.00', stock: 5 })
    expect(await applyProduct(service.application, product)).toBe('applied')
    await eventually(
      async () => (await call(service.app, 'GET', '/health/ready')).status === 200,
      'the service to be ready',
    )
    expect(await takeCatalogOrders()).toEqual([])

    proxy.cut()
    await eventually(
      async () => (await call(service.app, 'GET', '/health/ready')).status === 503,
      'the service to notice the broker is gone',
    )
    // what requests need is up: a load balancer probing /health/serving keeps sending traffic
    const serving = await call(service.app, 'GET', '/health/serving')
    expect(serving.status).toBe(200)
    expect(serving.body.checks).toEqual({ database: 'up', serving: 'up' })
    const token = await tokenFactory(SECRET).valid({ id: crypto.randomUUID(), username: 'offline', role: 'USER' })
    const placed = await call(service.app, 'POST', '/api/v1/order', {
      token,
      body: { items: [{ product_id: 1, quantity: 2 }] },
    })
    expect(placed.status).toBe(201) // the request does not depend on the broker
    await Bun.sleep(700)
    const [waiting] = await db<{ n: number }[]>`select count(*)::int as n from outbox where sent_at is null`
    expect(waiting!.n).toBe(1)

    await proxy.restore()
    const published = await eventually(async () => {
      const got = await takeCatalogOrders()
      return got.length ? got : undefined
    }, 'order.placed on the catalog queue after the outage')
    expect(published.map((e): unknown[] => [e.type, e.data])).toEqual([
      [
        'order.placed',
        { order_id: placed.body.id, user_id: placed.body.user_id, items: [{ product_id: 1, quantity: 2 }] },
      ],
    ])
    await eventually(
      async () => (await db<{ n: number }[]>`select count(*)::int as n from outbox where sent_at is null`)[0]!.n === 0,
      'the outbox drained',
    )
  }, 60_000)
})
