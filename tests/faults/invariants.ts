import { AMQPClient } from '@cloudamqp/amqp-client'
import { type OrderStatus, STOCK_HELD } from '@shop/order'
import { brokerConsumers, brokerUrl } from '@shop/platform/testing/broker'
import { TOPOLOGY, queueName } from '@shop/platform/bus/topology'
import { eventually, SERVICES, type ServiceName, testAmqpUrl } from '../integration/harness.ts'
import { type Dbs, FAULT_VHOST, type World, withDbs } from './world.ts'

/**
 * What must hold once the shop is quiet again after a fault, read straight from the three
 * databases and the broker: every committed change's events delivered and applied exactly once,
 * replicas equal to their sources, no order half-done, and stock conserved.
 */

type Line = { product_id: number; quantity: number }
interface OutboxRow {
  id: string
  type: string
  sent: boolean
  envelope: { id: string; type: string; correlation_id: string | null; data: any }
}

export interface Snapshot {
  outbox: Record<ServiceName, OutboxRow[]>
  inbox: Record<'catalog' | 'order', { event_id: string; type: string }[]>
  users: { id: string; role: string; version: number }[]
  replicas: Record<'catalog' | 'order', { id: string; role: string | null; version: number; deleted: boolean }[]>
  catalogProducts: { id: number; name: string; price: string; stock: number; category_id: number; version: number }[]
  orderProducts: {
    id: number
    name: string | null
    price: string | null
    stock: number | null
    category_id: number | null
    version: number
    deleted: boolean
  }[]
  stockReservations: { order_id: number; status: 'reserved' | 'rejected' | 'released'; items: Line[] }[]
  orders: { id: number; user_id: string; status: string; items: Line[] }[]
  reservations: { order_id: number; state: 'requested' | 'reserved'; items: Line[] }[]
  /** Ready and unacknowledged messages per queue (dead-letter queues included). */
  queues: Record<string, { ready: number; unacked: number }>
  /** Consumers per queue as the broker lists them (`rabbitmqctl list_consumers`). */
  consumers: Record<string, number>
}

export async function snapshot(): Promise<Snapshot> {
  return withDbs(async (db) => {
    const outbox = async (svc: ServiceName) =>
      db[svc]<OutboxRow[]>`select id::text, type, sent_at is not null as sent, envelope from outbox order by seq`
    const inbox = (svc: 'catalog' | 'order') =>
      db[svc]<{ event_id: string; type: string }[]>`select event_id::text, type from inbox`
    const replica = (svc: 'catalog' | 'order') =>
      db[svc]<
        { id: string; role: string | null; version: number; deleted: boolean }[]
      >`select id::text, role, version, deleted from user_replica order by id`
    return {
      outbox: { auth: await outbox('auth'), catalog: await outbox('catalog'), order: await outbox('order') },
      inbox: { catalog: await inbox('catalog'), order: await inbox('order') },
      users: await db.auth`select id::text, role, version from users order by id`,
      replicas: { catalog: await replica('catalog'), order: await replica('order') },
      catalogProducts:
        await db.catalog`select id::int, name, price::text, stock, category_id::int, version from products order by id`,
      orderProducts:
        await db.order`select id::int, name, price::text, stock, category_id::int, version, deleted from products
          order by id`,
      stockReservations:
        await db.catalog`select order_id::int, status, items from stock_reservations order by order_id`,
      orders: await db.order`
        select o.id::int, o.user_id::text, o.status,
          coalesce(jsonb_agg(jsonb_build_object('product_id', i.product_id, 'quantity', i.quantity)
            order by i.product_id) filter (where i.order_id is not null), '[]') as items
        from orders o left join order_items i on i.order_id = o.id
        group by o.id order by o.id`,
      reservations: await db.order`select order_id::int, state, items from reservations order by order_id`,
      queues: await queueStates(),
      consumers: await brokerConsumers(FAULT_VHOST),
    }
  })
}

/** Ready and unacknowledged (delivered, not yet acked) messages per queue of the fault vhost. */
async function queueStates(): Promise<Record<string, { ready: number; unacked: number }>> {
  const p = Bun.spawn(
    ['rabbitmqctl', '-q', 'list_queues', '-p', FAULT_VHOST, 'name', 'messages_ready', 'messages_unacknowledged'],
    { stdout: 'pipe', stderr: 'ignore' },
  )
  const out = await new Response(p.stdout).text()
  await p.exited
  const states: Record<string, { ready: number; unacked: number }> = {}
  for (const line of out.split('\n')) {
    const [name, ready, unacked] = line.trim().split(/\s+/)
    if (name && /^\d+$/.test(ready ?? '') && /^\d+$/.test(unacked ?? ''))
      states[name] = { ready: Number(ready), unacked: Number(unacked) }
  }
  return states
}

/** Ready messages in every queue of the shop and its dead-letter queue, in the fault vhost. */
async function queueDepths(): Promise<Record<string, number>> {
  const client = new AMQPClient(testAmqpUrl(brokerUrl(), FAULT_VHOST))
  await client.connect()
  try {
    const ch = await client.channel()
    const depths: Record<string, number> = {}
    for (const q of TOPOLOGY) {
      for (const name of [queueName('', q), `${queueName('', q)}.dead`]) {
        depths[name] = (await ch.queueDeclare(name, { passive: true })).messageCount
      }
    }
    return depths
  } finally {
    await client.close().catch(() => {})
  }
}

const byProduct = (lines: readonly Line[]) =>
  [...lines]
    .sort((a, b) => a.product_id - b.product_id)
    .map((l) => `${l.product_id}x${l.quantity}`)
    .join(',')

/**
 * Waits until the shop is quiet: outboxes drained, queues empty, no order pending and no stock
 * request outstanding, and the inboxes no longer moving.
 */
export async function quiesce(ms = 60_000): Promise<{ waitedMs: number }> {
  const t0 = Date.now()
  let last = ''
  await withDbs((db: Dbs) =>
    eventually(
      async () => {
        const s = await (async () => {
          const [a] = await db.auth`select count(*) filter (where sent_at is null)::int as unsent from outbox`
          const [c] =
            await db.catalog`select count(*) filter (where sent_at is null)::int as unsent, (select count(*)::int
              from inbox) as inbox from outbox`
          const [o] =
            await db.order`select count(*) filter (where sent_at is null)::int as unsent, (select count(*)::int
              from inbox) as inbox,
          (select count(*)::int from orders where status = 'pending') as pending,
          (select count(*)::int from reservations where state = 'requested') as requested from outbox`
          return { a: a!, c: c!, o: o! }
        })().catch(() => undefined) // a check that fails (a dropped connection) just counts as not quiet
        const queues = await queueDepths().catch(() => undefined)
        const busy = !queues || Object.entries(queues).some(([q, n]) => !q.endsWith('.dead') && n > 0)
        const quiet =
          !busy &&
          !!s &&
          s.a.unsent === 0 &&
          s.c.unsent === 0 &&
          s.o.unsent === 0 &&
          s.o.pending === 0 &&
          s.o.requested === 0
        const now = JSON.stringify([s, queues])
        if (process.env.FAULT_DEBUG && now !== last) console.log(new Date().toISOString().slice(11, 23), 'quiesce', now)
        const stable = quiet && now === last
        last = now
        if (!stable) await Bun.sleep(250)
        return stable
      },
      `the shop to quiesce`,
      ms,
    ),
  ).catch(async (e) => {
    throw new Error(
      `${(e as Error).message}; last seen: ${last}; ` +
        `queues: ${JSON.stringify(await queueStates().catch(() => 'unknown'))}`,
    )
  })
  // Nothing may stay delivered but unacknowledged (a handler that hangs holds its message). The
  // broker's counts of unacknowledged messages lag by its statistics interval (seconds): poll.
  const acked = Date.now() + 30_000
  for (;;) {
    const states = await queueStates().catch(() => ({}) as Record<string, { ready: number; unacked: number }>)
    const held =
      Object.values(states).reduce((n, q) => n + q.unacked + q.ready, 0) -
      Object.entries(states)
        .filter(([q]) => q.endsWith('.dead'))
        .reduce((n, [, q]) => n + q.ready, 0)
    if (Object.keys(states).length && held === 0) break
    if (Date.now() > acked) break // verify() reports what is left
    await Bun.sleep(1000)
  }
  return { waitedMs: Date.now() - t0 }
}

export interface Verdict {
  /** Every broken invariant, with enough detail to see what went wrong. */
  readonly failures: string[]
  readonly tables: Record<string, Record<string, unknown>[]>
}

export function verify(s: Snapshot, w: World): Verdict {
  const failures: string[] = []
  const fail = (what: string, detail?: unknown) =>
    failures.push(detail === undefined ? what : `${what}: ${JSON.stringify(detail).slice(0, 1500)}`)

  // 1. Outboxes drained; nothing dead-lettered; queues empty.
  for (const svc of SERVICES) {
    const unsent = s.outbox[svc].filter((r) => !r.sent)
    if (unsent.length)
      fail(
        `${svc} outbox has ${unsent.length} unsent rows`,
        unsent.slice(0, 5).map((r) => r.type),
      )
  }
  const expectedQueues = TOPOLOGY.flatMap((q) => [queueName('', q), `${queueName('', q)}.dead`])
  for (const q of expectedQueues) {
    const st = s.queues[q]
    if (!st) fail(`queue ${q} is missing`)
    else if (st.ready + st.unacked > 0)
      fail(`queue ${q} holds ${st.ready} ready and ${st.unacked} unacknowledged messages`)
  }

  // Every queue has its consumer attached: an empty queue proves nothing about the next message.
  for (const q of TOPOLOGY.map((x) => queueName('', x)))
    if (!s.consumers[q]) fail(`queue ${q} has no consumer attached (rabbitmqctl list_consumers)`)

  // 2. Every event consumed through an inbox was applied exactly once: the ids produced equal the ids
  // consumed (a lost or dead-lettered event is missing; the inbox key makes a second apply impossible).
  const consumedBy: [ServiceName, string, 'catalog' | 'order'][] = [
    ['order', 'order.placed', 'catalog'],
    ['order', 'order.cancelled', 'catalog'],
    ['catalog', 'stock.reserved', 'order'],
    ['catalog', 'stock.rejected', 'order'],
    ['catalog', 'product.created', 'order'],
    ['catalog', 'product.updated', 'order'],
    ['auth', 'user.deleted', 'order'],
  ]
  const events: Record<string, unknown>[] = []
  for (const [producer, type, consumer] of consumedBy) {
    const produced = new Set(s.outbox[producer].filter((r) => r.type === type).map((r) => r.id))
    const consumed = new Set(s.inbox[consumer].filter((r) => r.type === type).map((r) => r.event_id))
    const lost = [...produced].filter((id) => !consumed.has(id))
    const foreign = [...consumed].filter((id) => !produced.has(id))
    if (lost.length) fail(`${lost.length} ${type} events never applied by ${consumer}`, lost.slice(0, 5))
    if (foreign.length)
      fail(`${consumer} applied ${foreign.length} ${type} events ${producer} never wrote`, foreign.slice(0, 5))
    events.push({ event: type, from: producer, to: consumer, published: produced.size, consumed: consumed.size })
  }
  for (const type of ['user.created', 'user.updated']) {
    events.push({
      event: type,
      from: 'auth',
      to: 'catalog+order (by version)',
      published: s.outbox.auth.filter((r) => r.type === type).length,
      consumed: '-',
    })
  }

  // 3. Replicas equal their sources.
  const catalogProducts = s.catalogProducts.map((p) =>
    JSON.stringify([p.id, p.name, p.price, p.stock, p.category_id, p.version]),
  )
  const replicaProducts = s.orderProducts
    .filter((p) => !p.deleted)
    .map((p) => JSON.stringify([p.id, p.name, p.price, p.stock, p.category_id, p.version]))
  const diff = (a: string[], b: string[]) => ({
    missing: a.filter((x) => !b.includes(x)).slice(0, 5),
    extra: b.filter((x) => !a.includes(x)).slice(0, 5),
  })
  if (JSON.stringify(catalogProducts) !== JSON.stringify(replicaProducts))
    fail('order product replica differs from catalog products', diff(catalogProducts, replicaProducts))

  const deletedUsers = new Map<string, number>()
  for (const r of s.outbox.auth)
    if (r.type === 'user.deleted') deletedUsers.set(r.envelope.data.id, r.envelope.data.version)
  const expectedUsers = [
    ...s.users.map((u) => JSON.stringify([u.id, u.role, u.version, false])),
    ...[...deletedUsers].map(([id, version]) => JSON.stringify([id, '-', version, true])),
  ].sort()
  for (const svc of ['catalog', 'order'] as const) {
    const got = s.replicas[svc]
      .map((u) => JSON.stringify([u.id, u.deleted ? '-' : u.role, u.version, u.deleted]))
      .sort()
    if (JSON.stringify(got) !== JSON.stringify(expectedUsers))
      fail(`${svc} user replica differs from auth's users`, diff(expectedUsers, got))
  }

  // 4. No order half-done: each order's status agrees with both sides' stock records.
  const catalogRes = new Map(s.stockReservations.map((r) => [r.order_id, r]))
  const orderRes = new Map(s.reservations.map((r) => [r.order_id, r]))
  const orderIds = new Set(s.orders.map((o) => o.id))
  for (const o of s.orders) {
    const c = catalogRes.get(o.id)
    const r = orderRes.get(o.id)
    const bad = (why: string) => fail(`order ${o.id} (${o.status}) ${why}`, { catalog: c ?? null, order: r ?? null })
    if (!c) {
      bad('never reached the catalog')
      continue
    }
    // The status table says which statuses hold stock.
    if (STOCK_HELD.includes(o.status as OrderStatus)) {
      if (c.status !== 'reserved') bad('holds no stock in the catalog')
      else if (byProduct(c.items) !== byProduct(o.items)) bad('holds other lines than it has')
      if (r?.state !== 'reserved') bad('has no reserved record in the order service')
      continue
    }
    switch (o.status) {
      case 'pending':
        bad('is still pending')
        break
      case 'rejected':
        if (c.status !== 'rejected') bad('is rejected but the catalog did not reject it')
        if (r) bad('still has a stock record in the order service')
        break
      case 'cancelled':
        if (c.status === 'reserved') bad('is cancelled but its stock is still reserved')
        if (r) bad('still has a stock record in the order service')
        break
      default:
        bad('is in a status the load never asks for')
    }
  }
  for (const c of s.stockReservations)
    if (!orderIds.has(c.order_id)) fail(`the catalog holds a reservation for unknown order ${c.order_id}`, c)
  for (const r of s.reservations)
    if (r.state === 'requested') fail(`order ${r.order_id} has a stock request outstanding`, r)

  // 5. One round per order (the load never edits items): order.placed = orders = reservations;
  // one answer per order; one release per released reservation.
  const count = (svc: ServiceName, type: string) => s.outbox[svc].filter((r) => r.type === type).length
  const statusCount = (st: string) => s.stockReservations.filter((r) => r.status === st).length
  const expectEq = (what: string, a: number, b: number) => a !== b && fail(`${what}: ${a} ≠ ${b}`)
  expectEq('order.placed events vs orders', count('order', 'order.placed'), s.orders.length)
  expectEq('order.placed events vs catalog reservations', count('order', 'order.placed'), s.stockReservations.length)
  expectEq(
    'stock.reserved events vs reservations reserved or released',
    count('catalog', 'stock.reserved'),
    statusCount('reserved') + statusCount('released'),
  )
  expectEq(
    'stock.rejected events vs reservations rejected',
    count('catalog', 'stock.rejected'),
    statusCount('rejected'),
  )
  expectEq(
    'order.cancelled events vs reservations released',
    count('order', 'order.cancelled'),
    statusCount('released'),
  )

  // 6. Stock conserved. Every stock change of a product bumps its version and writes a product.*
  // event, so the catalog outbox is its complete ledger. What the admin put in is the initial stock
  // plus what each of the admin's writes changed; the rest of the movement is the saga's, so
  // stock + units held by reserved reservations = what the admin put in. And the units held are
  // exactly those of the orders in a status that holds stock (STOCK_HELD).
  const held = new Map<number, number>()
  for (const r of s.stockReservations)
    if (r.status === 'reserved')
      for (const l of r.items) held.set(l.product_id, (held.get(l.product_id) ?? 0) + l.quantity)
  const ordered = new Map<number, number>()
  for (const o of s.orders)
    if (STOCK_HELD.includes(o.status as OrderStatus))
      for (const l of o.items) ordered.set(l.product_id, (ordered.get(l.product_id) ?? 0) + l.quantity)
  const writes = new Map(w.stockWrites.map((x) => [x.requestId, x]))
  const seenWrites = new Set<string>()
  const stock: Record<string, unknown>[] = []
  for (const p of s.catalogProducts) {
    const ledger = s.outbox.catalog
      .filter((r) => r.type.startsWith('product.') && r.envelope.data.id === p.id)
      .map((r) => ({
        version: r.envelope.data.version as number,
        stock: r.envelope.data.stock as number,
        corr: r.envelope.correlation_id,
      }))
      .sort((a, b) => a.version - b.version)
    const versions = ledger.map((e) => e.version)
    if (JSON.stringify(versions) !== JSON.stringify(Array.from({ length: p.version }, (_, i) => i + 1))) {
      fail(`product ${p.id}: its events are not one per version 1..${p.version}`, versions)
      continue
    }
    if (ledger[0]!.stock !== w.initialStock.get(p.id))
      fail(`product ${p.id} was created with ${ledger[0]!.stock}, not ${w.initialStock.get(p.id)}`)
    if (ledger.at(-1)!.stock !== p.stock)
      fail(`product ${p.id}: last event says stock ${ledger.at(-1)!.stock}, the table ${p.stock}`)
    let putIn = ledger[0]!.stock
    let adminWrites = 0
    for (let i = 1; i < ledger.length; i++) {
      const e = ledger[i]!
      if (!e.corr?.startsWith('admin-stock-')) continue
      const write = writes.get(e.corr)
      if (!write || write.productId !== p.id || write.stock !== e.stock)
        fail(`product ${p.id} v${e.version}: stock ${e.stock} set by a write the admin did not make`, {
          write,
          event: e,
        })
      seenWrites.add(e.corr)
      putIn += e.stock - ledger[i - 1]!.stock
      adminWrites++
    }
    const h = held.get(p.id) ?? 0
    if (p.stock + h !== putIn) fail(`product ${p.id}: stock ${p.stock} + held ${h} ≠ ${putIn} put in by the admin`)
    if (h !== (ordered.get(p.id) ?? 0))
      fail(
        `product ${p.id}: the catalog holds ${h} units, ` +
          `orders holding stock (${STOCK_HELD.join(', ')}) ${ordered.get(p.id) ?? 0}`,
      )
    stock.push({
      product: p.id,
      initial: w.initialStock.get(p.id),
      'admin writes': adminWrites,
      'put in': putIn,
      stock: p.stock,
      held: h,
      'in orders holding stock': ordered.get(p.id) ?? 0,
    })
  }
  // A write answered 200 took effect (unless it changed nothing: then it wrote no event).
  const currentStock = new Map(s.catalogProducts.map((p) => [p.id, p.stock]))
  for (const x of w.stockWrites) {
    if (x.outcome === '200' && !seenWrites.has(x.requestId)) {
      const ledgerHasValue = s.outbox.catalog.some(
        (r) => r.type === 'product.updated' && r.envelope.data.id === x.productId && r.envelope.data.stock === x.stock,
      )
      if (!ledgerHasValue && currentStock.get(x.productId) !== x.stock)
        fail(`the admin's stock write ${x.requestId} was answered 200 but left no trace`, x)
    }
  }

  const totals = stock.reduce<Record<string, number>>((t, row) => {
    for (const k of ['initial', 'put in', 'stock', 'held', 'in orders holding stock'])
      t[k] = (t[k] ?? 0) + Number(row[k])
    return t
  }, {})
  stock.push({ product: 'total', ...totals })

  const statuses = new Map<string, number>()
  for (const o of s.orders) statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1)
  const orders = [...statuses].sort().map(([status, n]) => ({ status, orders: n }))
  orders.push({ status: 'total', orders: s.orders.length })
  const queues = TOPOLOGY.map((q) => {
    const name = queueName('', q)
    return {
      queue: name,
      consumers: s.consumers[name] ?? 0,
      ready: s.queues[name]?.ready,
      unacked: s.queues[name]?.unacked,
      'dead-lettered': s.queues[`${name}.dead`]?.ready,
    }
  })
  return { failures, tables: { events, queues, orders, stock } }
}
