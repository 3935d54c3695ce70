import { beforeAll, describe, expect, test } from 'bun:test'
import { err, ok } from '@shop/kernel/result'
import { adapterDatabases } from '@shop/platform/testing/databases'
import { memoryOrderStore } from '../src/adapters/memory/store.ts'
import { postgresOrderStore } from '../src/adapters/postgres/store.ts'
import { statusChange } from '../src/domain/history.ts'
import { type NewOrder, type Order, newOrder, priceLines } from '../src/domain/order.ts'
import type { ReplicaProduct } from '../src/domain/product.ts'
import { MIGRATIONS } from '../src/main.ts'
import type { OrderStore } from '../src/ports.ts'
import { stockLines } from '@shop/platform/testing/fixtures'

/** One suite per driven port, run over every adapter: memory, PGlite and the real server. */
function contract(name: string, make: () => Promise<OrderStore>) {
  let store: OrderStore
  beforeAll(async () => {
    store = await make()
  })
  const tx = <T>(
    work: Parameters<OrderStore['transact']>[0] extends (t: infer X) => any ? (t: X) => Promise<T> : never,
  ) => store.transact(async (t) => ok(await work(t))).then((r) => (r as { value: T }).value)

  let n = 0
  const product = (id: number, price = '10.00'): Extract<ReplicaProduct, { deleted: false }> => ({
    id,
    deleted: false,
    name: `Product ${id}`,
    price,
    stock: 5,
    categoryId: 1,
    sku: `SKU-${id}`,
    version: 1,
  })
  const draft = (over: Partial<NewOrder> = {}): NewOrder => {
    n++
    const items = priceLines(
      stockLines([1, 3], [2, 1]),
      new Map([
        [1, product(1, '0.10')],
        [2, product(2, '1999.90')],
      ]),
    )
    return {
      ...newOrder({
        userId: crypto.randomUUID(),
        items,
        shippingAddress: 'Main St 1',
        now: new Date(Date.UTC(2026, 0, 1, 0, 0, n)),
      }),
      ...over,
    }
  }
  const insert = (d: NewOrder) => tx((t) => t.orders.insert(d))

  describe(`order store contract: ${name}`, () => {
    test('insert gives increasing ids; fields and lines round-trip exactly', async () => {
      const a = await insert(draft({ shippingAddress: 'Zoë Ünïcode Straße 5' }))
      const b = await insert(draft({ shippingAddress: null }))
      expect(b.id).toBeGreaterThan(a.id)
      expect(await store.orders.byId(a.id)).toEqual(a)
      expect(await store.orders.byId(b.id)).toEqual(b)
      expect(a.items.map((l) => [l.unitPrice, l.lineTotal])).toEqual([
        ['0.10', '0.30'],
        ['1999.90', '1999.90'],
      ])
      expect(a.total).toBe('2000.20')
      expect(await store.orders.byId(999_999_999)).toBeUndefined()
    })

    test("a line keeps its snapshot: the replica's later name, price and SKU never show through a read", async () => {
      const id = 8_000 + n
      const was = product(id, '4.20')
      await tx((t) => t.products.apply(was))
      const items = priceLines([{ productId: id, quantity: 2 }], await store.products.byIds([id]))
      const placed = await insert(draft({ items, totalQuantity: 2, total: '8.40' }))
      expect(
        await tx((t) => t.products.apply({ ...was, name: 'Renamed', price: '99.00', sku: null, version: 2 })),
      ).toBe(true)
      const snapshot = [
        { productId: id, name: was.name, unitPrice: '4.20', quantity: 2, lineTotal: '8.40', sku: `SKU-${id}` },
      ]
      expect((await store.orders.byId(placed.id))?.items).toEqual(snapshot)
      expect((await tx((t) => t.orders.byId(placed.id, true)))?.items).toEqual(snapshot)
      expect(
        (await store.orders.list({ userId: placed.userId }, { limit: 10, offset: 0 })).items.map((o) => o.items),
      ).toEqual([snapshot])
      expect((await tx((t) => t.orders.ofUser(placed.userId, ['pending'], true))).map((o) => o.items)).toEqual([
        snapshot,
      ])
    })

    test('update writes status, lines, totals, address and updated_at', async () => {
      const a = await insert(draft())
      const items = priceLines([{ productId: 3, quantity: 2 }], new Map([[3, product(3, '0.05')]]))
      const changed: Order = {
        ...a,
        status: 'confirmed',
        items,
        totalQuantity: 2,
        total: '0.10',
        shippingAddress: null,
        updatedAt: new Date(Date.UTC(2026, 5, 1)),
      }
      expect(await tx((t) => t.orders.update(changed))).toEqual(changed)
      expect(await store.orders.byId(a.id)).toEqual(changed)
      const thrown = await tx((t) => t.orders.update({ ...changed, id: 999_999_999 })).then(
        () => 'no',
        () => 'thrown',
      )
      expect(thrown).toBe('thrown')
    })

    test('list: filters, newest first, pages with a total', async () => {
      const user = crypto.randomUUID()
      const mine = []
      for (let i = 0; i < 5; i++) mine.push(await insert(draft({ userId: user, status: i % 2 ? 'paid' : 'pending' })))
      const all = await store.orders.list({ userId: user }, { limit: 100, offset: 0 })
      expect(all.total).toBe(5)
      expect(all.items.map((o) => o.id)).toEqual(mine.map((o) => o.id).reverse())
      const paid = await store.orders.list({ userId: user, status: 'paid' }, { limit: 100, offset: 0 })
      expect(paid.items.map((o) => o.id)).toEqual([mine[3]!.id, mine[1]!.id])
      expect(paid.total).toBe(2)
      const page = await store.orders.list({ userId: user }, { limit: 2, offset: 1 })
      expect(page.items.map((o) => o.id)).toEqual([mine[3]!.id, mine[2]!.id])
      expect(page.total).toBe(5)
      const beyond = await store.orders.list({ userId: user }, { limit: 2, offset: 10 })
      expect(beyond).toEqual({ items: [], total: 5 })
      const everyone = await store.orders.list({}, { limit: 100, offset: 0 })
      expect(everyone.total).toBeGreaterThanOrEqual(5)
      const times = everyone.items.map((o) => o.createdAt.getTime())
      expect([...times].sort((x, y) => y - x)).toEqual(times)
      // same created_at: the higher id first
      const at = new Date(Date.UTC(2027, 0, 1))
      const other = crypto.randomUUID()
      const x = await insert(draft({ userId: other, createdAt: at, updatedAt: at }))
      const y = await insert(draft({ userId: other, createdAt: at, updatedAt: at }))
      expect((await store.orders.list({ userId: other }, { limit: 10, offset: 0 })).items.map((o) => o.id)).toEqual([
        y.id,
        x.id,
      ])
    })

    test("ofUser: a user's orders in some statuses, oldest first", async () => {
      const user = crypto.randomUUID()
      const a = await insert(draft({ userId: user, status: 'pending' }))
      await insert(draft({ userId: user, status: 'shipped' }))
      const c = await insert(draft({ userId: user, status: 'paid' }))
      await insert(draft({ status: 'pending' }))
      const open = await tx((t) => t.orders.ofUser(user, ['pending', 'confirmed', 'paid'], true))
      expect(open.map((o) => o.id)).toEqual([a.id, c.id])
      expect(await store.orders.ofUser(user, ['delivered'])).toEqual([])
    })

    test('history: in order, with reasons and product ids; removed with its order', async () => {
      const a = await insert(draft())
      const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s))
      await tx(async (t) => {
        await t.history.add(
          statusChange({ orderId: a.id, from: null, to: 'pending', actor: 'owner', by: a.userId, at: at(1) }),
        )
        await t.history.add(
          statusChange({
            orderId: a.id,
            from: 'pending',
            to: 'rejected',
            actor: 'system',
            by: 'ignored',
            at: at(2),
            reason: 'no stock',
            productIds: [4, 5],
          }),
        )
      })
      expect(await store.history.of(a.id)).toEqual([
        {
          orderId: a.id,
          from: null,
          to: 'pending',
          actor: 'owner',
          by: a.userId,
          reason: null,
          productIds: null,
          at: at(1),
        },
        {
          orderId: a.id,
          from: 'pending',
          to: 'rejected',
          actor: 'system',
          by: 'system',
          reason: 'no stock',
          productIds: [4, 5],
          at: at(2),
        },
      ])
      expect(await tx((t) => t.orders.remove(a.id))).toBe(true)
      expect(await store.orders.byId(a.id)).toBeUndefined()
      expect(await store.history.of(a.id)).toEqual([])
      expect(await tx((t) => t.orders.remove(a.id))).toBe(false)
    })

    test('a transaction that returns an error, or throws, rolls back everything', async () => {
      const d = draft()
      let id = 0
      const r = await store.transact(async (t) => {
        id = (await t.orders.insert(d)).id
        await t.events.add({ type: 'order.cancelled', data: { order_id: id, items: [] } }, null)
        return err('nope')
      })
      expect(r).toEqual(err('nope'))
      expect(await store.orders.byId(id)).toBeUndefined()
      // (try/catch style: bun's rejects.toThrow is slow on postgres.js errors)
      const thrown = await store
        .transact(async (t) => {
          id = (await t.orders.insert(d)).id
          throw new Error('boom')
        })
        .then(
          () => undefined,
          (e: Error) => e.message,
        )
      expect(thrown).toBe('boom')
      expect(await store.orders.byId(id)).toBeUndefined()
    })

    test('reservations: put, replace, read, remove; they outlive their order', async () => {
      const a = await insert(draft())
      const items = [{ productId: 1, quantity: 3 }]
      await tx((t) => t.reservations.put({ orderId: a.id, state: 'requested', items }))
      expect(await tx((t) => t.reservations.byOrder(a.id, true))).toEqual({
        orderId: a.id,
        state: 'requested',
        items,
        requestId: null,
        attempts: 1,
      })
      await tx((t) => t.reservations.put({ orderId: a.id, state: 'reserved', items: [{ productId: 2, quantity: 1 }] }))
      await tx((t) => t.orders.remove(a.id))
      expect(await tx((t) => t.reservations.byOrder(a.id))).toEqual({
        orderId: a.id,
        state: 'reserved',
        items: [{ productId: 2, quantity: 1 }],
        requestId: null,
        attempts: 1,
      })
      await tx((t) => t.reservations.remove(a.id))
      expect(await tx((t) => t.reservations.byOrder(a.id))).toBeUndefined()
    })

    test('unanswered requests: found once their time is up, counted when sent again, gone once answered', async () => {
      const a = await insert(draft({ status: 'pending' }))
      const items = [{ productId: 1, quantity: 2 }]
      const requestId = crypto.randomUUID()
      await tx((t) => t.reservations.put({ orderId: a.id, state: 'requested', items, requestId, attempts: 1 }))
      // Sent just now: not stalled within an hour.
      expect(await store.stalledRequests(3600, 1000)).not.toContain(a.id)
      expect(await tx((t) => t.reservations.stale(a.id, 3600))).toBeUndefined()
      await Bun.sleep(20)
      expect(await store.stalledRequests(0, 1000)).toContain(a.id)
      expect(await tx((t) => t.reservations.stale(a.id, 0))).toEqual({
        orderId: a.id,
        state: 'requested',
        items,
        requestId,
        attempts: 1,
      })
      await tx((t) => t.reservations.resent(a.id))
      expect((await tx((t) => t.reservations.byOrder(a.id)))?.attempts).toBe(2)
      // Sent again just now: its clock started over.
      expect(await tx((t) => t.reservations.stale(a.id, 3600))).toBeUndefined()
      // Answered (the catalog holds it), or the order no longer pending: nothing unanswered.
      await tx((t) => t.reservations.put({ orderId: a.id, state: 'reserved', items }))
      await Bun.sleep(20)
      expect(await store.stalledRequests(0, 1000)).not.toContain(a.id)
      expect(await tx((t) => t.reservations.stale(a.id, 0))).toBeUndefined()
      const b = await insert(draft({ status: 'cancelled' }))
      await tx((t) => t.reservations.put({ orderId: b.id, state: 'requested', items, requestId, attempts: 1 }))
      await Bun.sleep(20)
      expect(await store.stalledRequests(0, 1000)).not.toContain(b.id)
    })

    test('inbox: an event id is claimed once; a rolled-back claim does not count', async () => {
      const id = crypto.randomUUID()
      expect(await tx((t) => t.inbox.claim(id, 'stock.reserved'))).toBe(true)
      expect(await tx((t) => t.inbox.claim(id, 'stock.reserved'))).toBe(false)
      const other = crypto.randomUUID()
      await store.transact(async (t) => {
        await t.inbox.claim(other, 'stock.reserved')
        return err('rollback')
      })
      expect(await tx((t) => t.inbox.claim(other, 'stock.reserved'))).toBe(true)
    })
  })

  describe(`product replica contract: ${name}`, () => {
    const apply = (p: ReplicaProduct) => tx((t) => t.products.apply(p))
    const get = async (id: number) => (await store.products.byIds([id])).get(id)

    test('a new product is stored; byIds returns the known ones', async () => {
      expect(await apply(product(101, '1.50'))).toBe(true)
      expect(await get(101)).toEqual(product(101, '1.50'))
      const found = await store.products.byIds([101, 102_000])
      expect([...found.keys()]).toEqual([101])
      expect((await store.products.byIds([])).size).toBe(0)
    })
    test('only newer versions apply: duplicates and older ones change nothing', async () => {
      await apply({ ...product(110, '1.00'), version: 3 })
      expect(await apply({ ...product(110, '9.99'), version: 3 })).toBe(false)
      expect(await apply({ ...product(110, '9.99'), version: 2 })).toBe(false)
      expect((await get(110))?.version).toBe(3)
      expect(await apply({ ...product(110, '2.00'), name: 'renamed', version: 4 })).toBe(true)
      expect(await get(110)).toEqual({ ...product(110, '2.00'), name: 'renamed', version: 4 })
    })
    test('updated before created converges to the newest', async () => {
      expect(await apply({ ...product(120, '3.00'), version: 2 })).toBe(true)
      expect(await apply({ ...product(120, '1.00'), version: 1 })).toBe(false)
      expect(await get(120)).toEqual({ ...product(120, '3.00'), version: 2 })
    })
    test('a deletion leaves a final tombstone', async () => {
      await apply({ ...product(130), version: 2 })
      expect(await apply({ id: 130, deleted: true, version: 3 })).toBe(true)
      expect(await get(130)).toEqual({ id: 130, deleted: true, version: 3 })
      expect(await apply({ ...product(130), version: 1 })).toBe(false)
      expect(await apply({ ...product(130), version: 3 })).toBe(false)
      expect(await apply({ ...product(130), version: 10 })).toBe(false)
      expect(await get(130)).toEqual({ id: 130, deleted: true, version: 3 })
      // a deletion of a product never seen is a tombstone too
      expect(await apply({ id: 131, deleted: true, version: 5 })).toBe(true)
      expect(await apply({ ...product(131), version: 1 })).toBe(false)
      expect(await get(131)).toEqual({ id: 131, deleted: true, version: 5 })
    })
    test('concurrent versions of one product: the newest wins', async () => {
      const versions = [5, 2, 9, 1, 7, 3, 8, 4, 6]
      await Promise.all(versions.map((v) => apply({ ...product(140, `${v}.00`), version: v })))
      expect(await get(140)).toEqual({ ...product(140, '9.00'), version: 9 })
    })
  })

  describe(`idempotency key contract: ${name}`, () => {
    const at = new Date(Date.UTC(2026, 0, 1))
    test('first claim wins; a repeat sees the fingerprint and the order', async () => {
      const user = crypto.randomUUID()
      expect(await tx((t) => t.keys.claim({ userId: user, key: 'k-1', fingerprint: 'f1', at }))).toEqual({
        claimed: true,
      })
      expect(await tx((t) => t.keys.claim({ userId: user, key: 'k-1', fingerprint: 'f2', at }))).toEqual({
        claimed: false,
        fingerprint: 'f1',
        orderId: null,
      })
      const o = await insert(draft({ userId: user }))
      await tx((t) => t.keys.attach(user, 'k-1', o.id))
      expect(await tx((t) => t.keys.claim({ userId: user, key: 'k-1', fingerprint: 'f1', at }))).toEqual({
        claimed: false,
        fingerprint: 'f1',
        orderId: o.id,
      })
      // the key outlives its order, unlinked
      await tx((t) => t.orders.remove(o.id))
      expect(await tx((t) => t.keys.claim({ userId: user, key: 'k-1', fingerprint: 'f1', at }))).toEqual({
        claimed: false,
        fingerprint: 'f1',
        orderId: null,
      })
    })
    test('keys are per user, and case-sensitive', async () => {
      const [u1, u2] = [crypto.randomUUID(), crypto.randomUUID()]
      expect(await tx((t) => t.keys.claim({ userId: u1, key: 'same', fingerprint: 'a', at }))).toEqual({
        claimed: true,
      })
      expect(await tx((t) => t.keys.claim({ userId: u2, key: 'same', fingerprint: 'b', at }))).toEqual({
        claimed: true,
      })
      expect(await tx((t) => t.keys.claim({ userId: u1, key: 'SAME', fingerprint: 'c', at }))).toEqual({
        claimed: true,
      })
    })
    test('a claim rolled back with its transaction is free again', async () => {
      const user = crypto.randomUUID()
      await store.transact(async (t) => {
        await t.keys.claim({ userId: user, key: 'rb', fingerprint: 'x', at })
        return err('rollback')
      })
      expect(await tx((t) => t.keys.claim({ userId: user, key: 'rb', fingerprint: 'y', at }))).toEqual({
        claimed: true,
      })
    })
    test('concurrent claims of one key: exactly one wins, the others see it', async () => {
      const user = crypto.randomUUID()
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          tx(async (t) => {
            const c = await t.keys.claim({ userId: user, key: 'race', fingerprint: 'same', at })
            if (c.claimed) {
              const o = await t.orders.insert(draft({ userId: user }))
              await t.keys.attach(user, 'race', o.id)
              return { won: i, order: o.id }
            }
            return { won: -1, order: c.orderId }
          }),
        ),
      )
      const winners = results.filter((r) => r.won >= 0)
      expect(winners).toHaveLength(1)
      expect(new Set(results.map((r) => r.order))).toEqual(new Set([winners[0]!.order]))
      expect((await store.orders.list({ userId: user }, { limit: 10, offset: 0 })).total).toBe(1)
    })
  })
}

contract('memory', async () => memoryOrderStore())
for (const db of await adapterDatabases('order', MIGRATIONS)) {
  contract(`postgres (${db.kind})`, async () => postgresOrderStore(await db.open()))
}
