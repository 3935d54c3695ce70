import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import postgres from 'postgres'
import type { DomainEvent, EventType } from '@shop/kernel/events'
import { envelope } from '@shop/platform/testing/fixtures'
import { BROKER_USERS, ownerOf, type Service } from '@shop/platform/bus/ownership'
import { queueName, TOPOLOGY } from '@shop/platform/bus/topology'
import { TEST_EVENT_KEYS } from '@shop/platform/testing/event-keys'
import { generateEventKey, createSigner, type EventSigner } from '@shop/platform/bus/signing'
import {
  ADMIN,
  api,
  repoId,
  dbUrl,
  eventually,
  publishAs,
  type ServiceName,
  type Shop,
  startShop,
  testAmqpUrl,
  useServers,
  VHOST,
  deadCount,
  withShopChannel,
} from './harness.ts'

/**
 * The attacks of a broker login, on the real processes and the real RabbitMQ: every event kind
 * that rewrote the shop when consumers applied whatever arrived.
 * - The broker's admin (guest, with and without a user_id) and the owner's own user under a forged
 *   `source`, even with the owner's signing key (as if it had leaked): the second wall, the
 *   broker-validated user_id and the source, holds.
 * - An impersonator (a broker user tagged administrator + impersonator, which the broker lets
 *   claim any user_id): unsigned, signed with a key that is not the owner's, or by another service.
 * Each is dead-lettered with the reason, and nothing changes: replicas, roles, stock, order
 * status, price; and the genuine events after them still apply (no version poisoning).
 */
const run = await useServers()
let shop: Shop
const dbs = {} as Record<ServiceName, postgres.Sql>

describe.skipIf(!run)('forged events change nothing', () => {
  let admin = ''
  let victim = { id: '', token: '' }
  let product = 0
  let scarce = 0
  let confirmed = 0
  let pending = 0

  /** A genuine event: the admin's price change of `product` reaches the order replica. */
  const genuinePriceChange = async (price: string, what: string) => {
    const put = await api(shop.catalog.url, 'PUT', `/api/v1/product/${product}`, { token: admin, body: { price } })
    expect(put.status).toBe(200)
    await eventually(
      async () =>
        (await dbs.order<{ price: string }[]>`select price from products where id = ${product}`)[0]?.price === price,
      what,
    )
  }

  const login = async (username: string, password: string) =>
    (await api(shop.auth.url, 'POST', '/api/v1/auth/login', { body: { username, password } })).body
      .access_token as string
  const statusOf = async (id: number) =>
    (await api(shop.order.url, 'GET', `/api/v1/order/${id}`, { token: admin })).body.status as string
  const stockOf = async (id: number) =>
    (await api(shop.catalog.url, 'GET', `/api/v1/product/${id}`)).body.stock as number

  beforeAll(async () => {
    shop = await startShop()
    for (const s of ['auth', 'catalog', 'order'] as const) dbs[s] = postgres(dbUrl(s), { max: 2, onnotice: () => {} })
    admin = await login(ADMIN.username, ADMIN.password)
    const r = await api(shop.auth.url, 'POST', '/api/v1/auth/register', {
      body: { username: 'victim', email: 'victim@example.com', password: 'victim-password' },
    })
    victim = { id: r.body.id, token: await login('victim', 'victim-password') }
    const cat = (await api(shop.catalog.url, 'POST', '/api/v1/category', { token: admin, body: { name: 'Trust' } }))
      .body.id
    product = (
      await api(shop.catalog.url, 'POST', '/api/v1/product', {
        token: admin,
        body: { name: 'Lamp', price: '20.00', stock: 5, category_id: cat },
      })
    ).body.id
    scarce = (
      await api(shop.catalog.url, 'POST', '/api/v1/product', {
        token: admin,
        body: { name: 'Rare', price: '99.00', stock: 1, category_id: cat },
      })
    ).body.id
    for (const svc of ['catalog', 'order'] as const) {
      await eventually(
        async () => (await dbs[svc]`select 1 from user_replica where id = ${victim.id}`).length === 1,
        `victim in the ${svc} replica`,
      )
    }
    await eventually(
      async () => (await dbs.order`select 1 from products where id in (${product}, ${scarce})`).length === 2,
      'products in the order replica',
    )
    // a confirmed order of 2 Lamps (stock 5 → 3)
    confirmed = (
      await api(shop.order.url, 'POST', '/api/v1/order', {
        token: victim.token,
        body: { items: [{ product_id: product, quantity: 2 }] },
      })
    ).body.id
    await eventually(async () => (await statusOf(confirmed)) === 'confirmed', 'confirmed')
    // a pending order of 1000 Rare (stock 1): the catalog is stopped, so it stays pending
    await shop.catalog.stop()
    pending = (
      await api(shop.order.url, 'POST', '/api/v1/order', {
        token: victim.token,
        body: { items: [{ product_id: scarce, quantity: 1000 }] },
      })
    ).body.id
    expect(await statusOf(pending)).toBe('pending')
  }, 120_000)
  afterAll(async () => {
    await shop?.stop()
    for (const sql of Object.values(dbs)) await sql.end()
  })

  const snapshot = async () => ({
    replicas: {
      catalog: await dbs.catalog`select id, username, role, version, deleted from user_replica order by id`,
      order: await dbs.order`select id, username, role, version, deleted from user_replica order by id`,
    },
    products: await dbs.order`select id, name, price, stock, version, deleted from products order by id`,
    stock: await dbs.catalog`select id, stock, version from products order by id`,
    orders: await dbs.order`select id, status, total from orders order by id`,
  })

  test('from the broker admin (with and without a user_id) and under ' +
    'a forged source: every kind is dead-lettered, none applied', async () => {
    const forged: { type: EventType; data: DomainEvent['data'] }[] = [
      {
        type: 'product.updated',
        data: { id: product, name: 'Lamp', price: '0.01', stock: 5, category_id: 1, version: 1_000_000 },
      },
      {
        type: 'user.updated',
        data: { id: victim.id, username: 'victim', email: 'victim@example.com', role: 'ADMIN', version: 1_000_000 },
      },
      { type: 'order.cancelled', data: { order_id: confirmed, items: [{ product_id: product, quantity: 2 }] } },
      {
        type: 'order.placed',
        data: { order_id: 9_999_999, user_id: victim.id, items: [{ product_id: product, quantity: 3 }] },
      },
      { type: 'stock.reserved', data: { order_id: pending } },
      { type: 'user.deleted', data: { id: victim.id, version: 1_000_000 } },
    ]
    const queues = ['catalog.users', 'catalog.orders', 'order.users', 'order.products', 'order.stock']
    // the catalog is stopped (for the pending order); it starts again once everything is sent
    const before = await snapshot()
    const deadBefore = Object.fromEntries(await Promise.all(queues.map(async (q) => [q, await deadCount(q)] as const)))
    const expectedDead: Record<string, number> = Object.fromEntries(queues.map((q) => [q, 0]))
    const notOwner = (owner: Service): Service => (owner === 'order' ? 'catalog' : 'order')
    let sent = 0
    for (const { type, data } of forged) {
      const owner = ownerOf(type)
      const env = (source: Service) => JSON.stringify(envelope(source, { type, data } as DomainEvent))
      // signed by the owner's own key, as if it had leaked: the user_id and source still stop them
      const signer = TEST_EVENT_KEYS.signers[owner]
      await publishAs('admin', type, env(owner), { userId: 'guest', signer })
      await publishAs('admin', type, env(owner), { signer })
      await publishAs(owner, type, env(notOwner(owner)), { signer })
      sent += 3
      for (const q of queues.filter((q) => queueTakes(q, type))) expectedDead[q]! += 3
    }
    await shop.catalog.start()
    for (const q of queues) {
      let seen = 0
      await eventually(
        async () => {
          seen = await deadCount(q)
          return seen === deadBefore[q]! + expectedDead[q]!
        },
        `${expectedDead[q]} dead letters in ${q}`,
        20_000,
      ).catch((e: Error) => {
        const logs = shop.catalog.output.slice(-15).join('\n')
        throw new Error(`${e.message} (${seen - deadBefore[q]!} there); the catalog's last lines:\n${logs}`)
      })
    }
    // the pending order was answered by the (real) catalog meanwhile: rejected, 1 in stock
    await eventually(async () => (await statusOf(pending)) === 'rejected', 'the real answer to the pending order')
    const after = await snapshot()
    expect(after.replicas).toEqual(before.replicas)
    expect(after.products).toEqual(before.products)
    expect(after.stock).toEqual(before.stock)
    expect(after.orders.map((o) => (Number(o.id) === pending ? { ...o, status: 'pending' } : o))).toEqual(before.orders)
    expect(await stockOf(product)).toBe(3)
    expect(await stockOf(scarce)).toBe(1)
    expect(await statusOf(confirmed)).toBe('confirmed')
    // the victim is still a USER everywhere, and not deleted
    expect(
      (await api(shop.catalog.url, 'POST', '/api/v1/category', { token: victim.token, body: { name: 'Mine' } })).status,
    ).toBe(403)
    expect((await api(shop.order.url, 'GET', '/api/v1/orders', { token: victim.token })).status).toBe(200)
    // the warnings name each event
    const warned = [...shop.catalog.logs(), ...shop.order.logs()].filter(
      (l) => l.msg === 'event dead-lettered: not from its owner',
    )
    expect(warned.length).toBe(Object.values(expectedDead).reduce((a, b) => a + b, 0))
    expect(warned.every((l) => typeof l.event_id === 'string')).toBe(true)
    console.log(
      `forged events: ${sent} sent (${forged.length} kinds × admin with user_id, ` +
        `admin without, owner's user with a forged source; all signed with the owner's key), 0 applied`,
    )

    // genuine events still flow: a price change by the admin reaches the order replica
    await genuinePriceChange('25.00', 'genuine price change')
  }, 120_000)

  test('an impersonator (administrator + impersonator tags) publishing as shop-auth, source auth: unsigned, ' +
    'signed with a wrong key or by another service, none applies; each is dead with the reason; the real ' +
    'events after them still apply', async () => {
    // the broker user an administrator can make itself: may publish with any user_id
    const impersonator = `shop-impersonator-${repoId}`
    const password = crypto.randomUUID()
    if (!(await ctl(['list_users'])).split('\n').some((l) => l.split('\t')[0] === impersonator))
      await ctl(['add_user', impersonator, password])
    await ctl(['change_password', impersonator, password])
    await ctl(['set_user_tags', impersonator, 'administrator', 'impersonator'])
    await ctl(['set_permissions', '-p', VHOST, impersonator, '.*', '.*', '.*'])
    const url = Object.assign(new URL(testAmqpUrl()), { username: impersonator, password }).toString()

    const target = (
      await api(shop.auth.url, 'POST', '/api/v1/auth/register', {
        body: { username: 'target', email: 'target@example.com', password: 'target-password' },
      })
    ).body
    const targetToken = await login('target', 'target-password')
    for (const svc of ['catalog', 'order'] as const)
      await eventually(
        async () => (await dbs[svc]`select 1 from user_replica where id = ${target.id}`).length === 1,
        `target in the ${svc} replica`,
      )
    const before = await snapshot()
    const queues = ['catalog.users', 'order.users', 'order.products', 'catalog.orders']
    const deadBefore = Object.fromEntries(await Promise.all(queues.map(async (q) => [q, await deadCount(q)] as const)))

    const forged: { type: EventType; data: DomainEvent['data'] }[] = [
      {
        type: 'user.updated',
        data: { id: target.id, username: 'target', email: 'target@example.com', role: 'ADMIN', version: 1000 },
      },
      {
        type: 'product.updated',
        data: { id: product, name: 'Lamp', price: '0.01', stock: 5, category_id: 1, version: 1000 },
      },
      {
        type: 'order.placed',
        data: { order_id: 8_888_888, user_id: target.id, items: [{ product_id: product, quantity: 3 }] },
      },
    ]
    const other = (owner: Service): Service => (owner === 'catalog' ? 'order' : 'catalog')
    const sent: { id: string; how: string; want: RegExp; type: EventType }[] = []
    for (const { type, data } of forged) {
      const owner = ownerOf(type)
      const ownKeyId = TEST_EVENT_KEYS.signers[owner].keyId
      // a key that is not the owner's, under the owner's key id; and another service's real key
      const wrong = await createSigner((await generateEventKey(ownKeyId)).signingKey)
      const ways: [string, EventSigner | undefined, RegExp][] = [
        ['unsigned', undefined, /^not from its owner: not signed/],
        ['wrong key', wrong, new RegExp(`^not from its owner: bad signature: .* ${owner}'s key ${ownKeyId}$`)],
        [
          `${other(owner)}'s key`,
          TEST_EVENT_KEYS.signers[other(owner)],
          new RegExp(`^not from its owner: signed with ${other(owner)}'s key .*, not by ${owner}, the owner`),
        ],
      ]
      for (const [how, signer, want] of ways) {
        const env = envelope(owner, { type, data } as DomainEvent)
        // the broker takes it: the impersonator may claim the owner's user_id
        await publishAs({ url }, type, JSON.stringify(env), {
          userId: BROKER_USERS[owner],
          messageId: env.id,
          ...(signer ? { signer } : {}),
        })
        sent.push({ id: env.id, how, want, type })
      }
    }
    const expected = Object.fromEntries(
      queues.map((q) => [q, sent.filter((x) => queueTakes(q, x.type)).length] as const),
    )
    for (const q of queues)
      await eventually(
        async () => (await deadCount(q)) === deadBefore[q]! + expected[q]!,
        `${expected[q]} more dead letters in ${q}`,
        20_000,
      )
    // each with its reason (in every queue that took it)
    const reasons = new Map<string, string[]>()
    for (const q of queues)
      for (const d of await readDead(q)) reasons.set(d.id, [...(reasons.get(d.id) ?? []), d.reason])
    for (const x of sent) {
      const got = reasons.get(x.id) ?? []
      expect({ how: x.how, type: x.type, got: got.length }).toEqual({
        how: x.how,
        type: x.type,
        got: queues.filter((q) => queueTakes(q, x.type)).length,
      })
      for (const r of got)
        expect({ how: x.how, type: x.type, r }).toEqual({ how: x.how, type: x.type, r: expect.stringMatching(x.want) })
    }
    const after = await snapshot()
    expect(after.replicas).toEqual(before.replicas)
    expect(after.stock).toEqual(before.stock)
    expect(after.orders).toEqual(before.orders)
    expect(after.products).toEqual(before.products)
    expect(
      (await api(shop.catalog.url, 'POST', '/api/v1/category', { token: targetToken, body: { name: 'Mine' } })).status,
    ).toBe(403)

    // no version poisoning: the real events after them apply
    await genuinePriceChange('26.00', 'a genuine price change after the forgeries')
    expect((await api(shop.auth.url, 'DELETE', `/api/v1/users/${target.id}`, { token: admin })).status).toBe(204)
    await eventually(
      async () =>
        (await api(shop.catalog.url, 'POST', '/api/v1/category', { token: targetToken, body: { name: 'x' } }))
          .status === 401 &&
        (await api(shop.order.url, 'GET', '/api/v1/orders', { token: targetToken })).status === 401,
      "the deleted user's token refused by catalog and order",
    )
    await ctl(['delete_user', impersonator]).catch(() => '')
  }, 120_000)

  test("five 30 MB messages: the broker refuses each at the publish; the catalog's memory doesn't grow", async () => {
    const rss = async () => {
      const text = await (await fetch(`${shop.catalog.url}/metrics`)).text()
      return Number(/^process_resident_memory_bytes\{[^}]*\} (\d+)/m.exec(text)?.[1])
    }
    const before = await rss()
    const big = JSON.stringify({ padding: 'x'.repeat(30 * 1024 * 1024) })
    for (let i = 0; i < 5; i++)
      await expect(publishAs('admin', 'order.placed', big, { userId: 'guest' })).rejects.toThrow(
        /PRECONDITION_FAILED.*larger than configured max size 1048576/,
      )
    // none reached it (each publish was refused by the broker itself, above): not one message's worth more
    // (the catalog took 78 → 665 MB before the limit)
    expect(await rss()).toBeLessThan(before + 30 * 1024 * 1024)
  }, 60_000)
})

const queueTakes = (queue: string, type: EventType) =>
  TOPOLOGY.some((q) => queueName('', q) === queue && (q.topics as readonly EventType[]).includes(type))
async function ctl(args: string[]): Promise<string> {
  const p = Bun.spawn(['rabbitmqctl', '-q', ...args], { stdout: 'pipe', stderr: 'pipe' })
  const [out, err] = [await new Response(p.stdout).text(), await new Response(p.stderr).text()]
  if ((await p.exited) !== 0) throw new Error(`rabbitmqctl ${args.join(' ')}: ${err.trim()}`)
  return out
}

/** The id (message property) and x-dead-reason of every message in `<queue>.dead`, read and put back. */
function readDead(queue: string): Promise<{ id: string; reason: string }[]> {
  return withShopChannel(async (ch) => {
    const out: { id: string; reason: string }[] = []
    for (;;) {
      const m = await ch.basicGet(`${queue}.dead`, { noAck: false })
      if (!m) break
      out.push({ id: m.properties.messageId ?? '', reason: String(m.properties.headers?.['x-dead-reason'] ?? '') })
    }
    // closing the channel puts them all back
    return out
  })
}
