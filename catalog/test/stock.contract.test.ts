import { beforeAll, describe, expect, test } from 'bun:test'
import type { Envelope } from '@shop/kernel/events'
import { adapterDatabases } from '@shop/platform/testing/databases'
import type { Sql } from '@shop/platform/postgres/connect'
import type { Result } from '@shop/kernel/result'
import { MIGRATIONS } from '../src/main.ts'
import { systemClock } from '@shop/kernel/app'
import { type CatalogApplication, catalogApplication } from '../src/app/application.ts'
import { memoryCatalogStore } from '../src/adapters/memory/store.ts'
import { postgresCatalogStore } from '../src/adapters/postgres/store.ts'
import type { CatalogStore } from '../src/ports.ts'
import { stockLines } from '@shop/platform/testing/fixtures'

/** The events a store has recorded: the memory store's `published`, the outbox table on postgres. */
type Recorded = () => Promise<Pick<Envelope, 'type' | 'data' | 'correlation_id'>[]>

/** The stock side of the order saga, through the use cases, over every adapter. */
function contract(name: string, make: () => Promise<{ store: CatalogStore; recorded: Recorded }>) {
  describe(`stock reservations: ${name}`, () => {
    let core: CatalogApplication
    let recorded: Recorded
    let categoryId: number
    beforeAll(async () => {
      const made = await make()
      recorded = made.recorded
      core = catalogApplication({ store: made.store, clock: systemClock })
      categoryId = value(await core.commands.createCategory({ name: 'Saga' })).id
    })
    const value = <T>(r: Result<T, unknown>): T => {
      if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.error)}`)
      return r.value
    }
    const product = async (stock: number) =>
      value(
        await core.commands.createProduct({
          name: `p${crypto.randomUUID().slice(0, 6)}`,
          price: '5.00',
          stock,
          categoryId,
        }),
      ).id
    const stockOf = async (id: number) => value(await core.queries.getProduct(id)).stock
    const meta = (correlationId = 'corr-1') => ({ eventId: crypto.randomUUID(), correlationId })
    let nextOrder = 1000
    const order = () => ++nextOrder
    const eventsFor = async (orderId: number) =>
      (await recorded()).filter((e) => (e.data as { order_id?: number }).order_id === orderId).map((e) => e.type)

    test(
      'a reservation takes every line and answers stock.reserved; ' +
        'product.updated for each product, same correlation id',
      async () => {
        const [a, b] = [await product(5), await product(2)]
        const o = order()
        const r = await core.events.reserveStock(
          {
            orderId: o,
            items: stockLines([a, 2], [b, 2], [a, 1]),
          },
          meta('req-42'),
        )
        expect(value(r)).toBe('reserved')
        expect([await stockOf(a), await stockOf(b)]).toEqual([2, 0])
        const all = await recorded()
        expect(
          all.filter((e) => e.type === 'stock.reserved' && (e.data as any).order_id === o).map((e) => e.correlation_id),
        ).toEqual(['req-42'])
        const updates = all.filter((e) => e.type === 'product.updated' && [a, b].includes((e.data as any).id))
        expect(
          updates.map((e) => [(e.data as any).id, (e.data as any).stock, (e.data as any).version, e.correlation_id]),
        ).toEqual([
          [a, 2, 2, 'req-42'],
          [b, 0, 2, 'req-42'],
        ])
      },
    )

    test('one short or unknown line rejects the whole order, names the products, takes nothing', async () => {
      const [a, b] = [await product(5), await product(1)]
      const o = order()
      const r = await core.events.reserveStock(
        {
          orderId: o,
          items: stockLines([a, 1], [b, 2], [987_000, 1]),
        },
        meta(),
      )
      expect(value(r)).toBe('rejected')
      expect([await stockOf(a), await stockOf(b)]).toEqual([5, 1])
      const rejected = (await recorded()).find((e) => e.type === 'stock.rejected' && (e.data as any).order_id === o)!
      expect(rejected.data).toEqual({
        order_id: o,
        reason: 'insufficient stock or unknown product',
        product_ids: [b, 987_000],
      })
      // a deleted product is unknown too
      value(await core.commands.deleteProduct(b))
      const o2 = order()
      expect(
        value(await core.events.reserveStock({ orderId: o2, items: [{ productId: b, quantity: 1 }] }, meta())),
      ).toBe('rejected')
      expect(
        (await recorded()).find((e) => e.type === 'stock.rejected' && (e.data as any).order_id === o2)!.data,
      ).toMatchObject({ reason: 'unknown product', product_ids: [b] })
    })

    test(
      'the same event twice does nothing the second time; ' + 'another order.placed for the same order answers again',
      async () => {
        const a = await product(3)
        const o = order()
        const m = meta()
        expect(value(await core.events.reserveStock({ orderId: o, items: [{ productId: a, quantity: 1 }] }, m))).toBe(
          'reserved',
        )
        expect(value(await core.events.reserveStock({ orderId: o, items: [{ productId: a, quantity: 1 }] }, m))).toBe(
          'duplicate',
        )
        expect(
          value(await core.events.reserveStock({ orderId: o, items: [{ productId: a, quantity: 1 }] }, meta())),
        ).toBe('answered-again')
        expect(await stockOf(a)).toBe(2)
        expect(await eventsFor(o)).toEqual(['stock.reserved', 'stock.reserved'])
      },
    )

    test(
      'release puts the reserved units back exactly once, even ' +
        'for two different events; nothing without a reservation',
      async () => {
        const a = await product(4)
        const o = order()
        value(await core.events.reserveStock({ orderId: o, items: [{ productId: a, quantity: 3 }] }, meta()))
        expect(await stockOf(a)).toBe(1)
        // the event's items are not trusted: the recorded reservation says what to put back
        const cancelled = { orderId: o, items: [{ productId: a, quantity: 300 }] }
        const outcomes = await Promise.all([
          core.events.releaseStock(cancelled, meta()),
          core.events.releaseStock(cancelled, meta()),
          core.events.releaseStock(cancelled, meta()),
        ])
        expect(outcomes.map(value).sort()).toEqual(['nothing-to-release', 'nothing-to-release', 'released'])
        expect(await stockOf(a)).toBe(4)
        expect(value(await core.events.releaseStock({ orderId: order(), items: [] }, meta()))).toBe(
          'nothing-to-release',
        )
        // a rejected order has nothing to release
        const o2 = order()
        value(await core.events.reserveStock({ orderId: o2, items: [{ productId: a, quantity: 99 }] }, meta()))
        expect(
          value(await core.events.releaseStock({ orderId: o2, items: [{ productId: a, quantity: 99 }] }, meta())),
        ).toBe('nothing-to-release')
        expect(await stockOf(a)).toBe(4)
        // a released order placed again (the order service re-places edited lines) opens a new round
        expect(
          value(await core.events.reserveStock({ orderId: o, items: [{ productId: a, quantity: 1 }] }, meta())),
        ).toBe('reserved')
        expect(await stockOf(a)).toBe(3)
        // and so does a rejected one
        expect(
          value(await core.events.reserveStock({ orderId: o2, items: [{ productId: a, quantity: 2 }] }, meta())),
        ).toBe('reserved')
        expect(await stockOf(a)).toBe(1)
      },
    )

    test(
      'a new round that overtakes the release of the previous ' +
        'one is refused (retried by the bus), and succeeds after it',
      async () => {
        const a = await product(5)
        const o = order()
        value(await core.events.reserveStock({ orderId: o, items: [{ productId: a, quantity: 2 }] }, meta()))
        const early = meta()
        const thrown = await core.events
          .reserveStock({ orderId: o, items: [{ productId: a, quantity: 3 }] }, early)
          .then(
            () => 'accepted',
            (e: Error) => e.message,
          )
        expect(thrown).toContain('retry')
        expect(await stockOf(a)).toBe(3)
        value(await core.events.releaseStock({ orderId: o, items: [{ productId: a, quantity: 2 }] }, meta()))
        // the redelivery of the same event (its inbox claim was rolled back) now reserves the new lines
        expect(
          value(await core.events.reserveStock({ orderId: o, items: [{ productId: a, quantity: 3 }] }, early)),
        ).toBe('reserved')
        expect(await stockOf(a)).toBe(2)
      },
    )

    test('30 concurrent reservations of 1 unit on stock 9: exactly 9 succeed, stock ends at 0', async () => {
      const a = await product(9)
      const orders = Array.from({ length: 30 }, () => order())
      const outcomes = await Promise.all(
        orders.map((o) => core.events.reserveStock({ orderId: o, items: [{ productId: a, quantity: 1 }] }, meta())),
      )
      const values = outcomes.map(value)
      expect(values.filter((v) => v === 'reserved').length).toBe(9)
      expect(values.filter((v) => v === 'rejected').length).toBe(21)
      expect(await stockOf(a)).toBe(0)
      const versions = (await recorded())
        .filter((e) => e.type === 'product.updated' && (e.data as any).id === a)
        .map((e) => (e.data as any).version)
      expect(versions.sort((x, y) => x - y)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10])
    })

    test('concurrent multi-line orders in opposite line orders: no deadlock, no unit sold twice', async () => {
      const [a, b] = [await product(10), await product(10)]
      const outcomes = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          core.events.reserveStock(
            {
              orderId: order(),
              items: i % 2 ? stockLines([a, 1], [b, 1]) : stockLines([b, 1], [a, 1]),
            },
            meta(),
          ),
        ),
      )
      expect(outcomes.map(value).filter((v) => v === 'reserved').length).toBe(10)
      expect([await stockOf(a), await stockOf(b)]).toEqual([0, 0])
    })

    test('reservations racing with cancellations and admin stock edits keep the books right', async () => {
      const a = await product(20)
      const placed = Array.from({ length: 10 }, () => order())
      await Promise.all(
        placed.map((o) => core.events.reserveStock({ orderId: o, items: [{ productId: a, quantity: 2 }] }, meta())),
      )
      expect(await stockOf(a)).toBe(0)
      // cancel half of them twice each, while more orders arrive
      const late = Array.from({ length: 6 }, () => order())
      const results = await Promise.all([
        ...placed
          .slice(0, 5)
          .flatMap((o) => [
            core.events.releaseStock({ orderId: o, items: [] }, meta()),
            core.events.releaseStock({ orderId: o, items: [] }, meta()),
          ]),
        ...late.map((o) => core.events.reserveStock({ orderId: o, items: [{ productId: a, quantity: 2 }] }, meta())),
      ])
      const reservedLate = results
        .slice(10)
        .map(value)
        .filter((v) => v === 'reserved').length
      expect(
        results
          .slice(0, 10)
          .map(value)
          .filter((v) => v === 'released').length,
      ).toBe(5)
      expect(await stockOf(a)).toBe(10 - 2 * reservedLate)
    })
  })
}

contract('memory', async () => {
  const store = memoryCatalogStore()
  return { store, recorded: async () => store.published }
})
for (const db of await adapterDatabases('catalog', MIGRATIONS)) {
  contract(`postgres (${db.kind})`, async () => {
    const sql: Sql = await db.open()
    return {
      store: postgresCatalogStore(sql),
      recorded: async () =>
        (await sql<{ envelope: Envelope }[]>`select envelope from outbox order by seq`).map((r) => r.envelope),
    }
  })
}
