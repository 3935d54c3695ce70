import { must, steppingClock } from '@shop/platform/testing/fixtures'
import { beforeAll, describe, expect, test } from 'bun:test'
import { adapterDatabases } from '@shop/platform/testing/databases'
import { err, ok } from '@shop/kernel/result'
import { MIGRATIONS } from '../src/main.ts'
import { memoryCatalogStore } from '../src/adapters/memory/store.ts'
import { postgresCatalogStore } from '../src/adapters/postgres/store.ts'
import type { Category } from '../src/domain/category.ts'
import { type Product, type ProductSort, changeProduct } from '../src/domain/product.ts'
import type { CatalogStore } from '../src/ports.ts'
import { expectSortsBothWays } from './support.ts'

const ALL = { limit: 100, offset: 0 }

/** One suite for the product store and the stock it holds, run over every adapter. */
function contract(name: string, make: () => Promise<CatalogStore>) {
  describe(`product store contract: ${name}`, () => {
    let store: CatalogStore
    const tick = steppingClock(1000, Date.UTC(2026, 0, 1, 0, 0, 1)).now
    const category = async (name: string, parentId: number | null = null): Promise<Category> =>
      must(await store.transact((tx) => tx.categories.insert({ name, parentId, description: null, now: tick() })))
    const product = async (
      name: string,
      categoryId: number,
      o: { price?: string; stock?: number; description?: string | null; sku?: string | null } = {},
    ): Promise<Product> =>
      must(
        await store.transact((tx) =>
          tx.products.insert({
            name,
            categoryId,
            price: o.price ?? '10.00',
            stock: o.stock ?? 0,
            description: o.description ?? null,
            sku: o.sku ?? null,
            now: tick(),
          }),
        ),
      )
    const list = async (f: Parameters<CatalogStore['products']['list']>[0], page = ALL) =>
      (await store.products.list(f, page)).items.map((p) => p.name)

    let shop: Category
    beforeAll(async () => {
      store = await make()
      shop = await category('Shop')
    })

    test('insert and read back: price as an exact 2-decimal string, the category ref, version 1', async () => {
      const c = await category('Phones', shop.id)
      const p = await product('Phone X', c.id, { price: '1999.90', stock: 3, description: 'A “phone”' })
      expect(p).toMatchObject({
        name: 'Phone X',
        price: '1999.90',
        stock: 3,
        categoryId: c.id,
        category: { id: c.id, name: 'Phones', level: 1 },
        version: 1,
        description: 'A “phone”',
      })
      expect(await store.products.byId(p.id)).toEqual(p)
      for (const price of ['0.01', '9999999999.99', '5.00'])
        expect((await product(`price ${price}`, c.id, { price })).price).toBe(price)
      expect(await store.products.byId(999_999)).toBeUndefined()
    })

    test('insert or update into an unknown category: UnknownCategory, nothing written', async () => {
      const r = await store.transact((tx) =>
        tx.products.insert({
          name: 'Nowhere',
          categoryId: 888_888,
          price: '1.00',
          stock: 0,
          description: null,
          sku: null,
          now: tick(),
        }),
      )
      expect(r).toEqual(err({ type: 'UnknownCategory', categoryId: 888_888 }))
      const p = await product('Somewhere', shop.id)
      const u = await store.transact((tx) => tx.products.update(changeProduct(p, { categoryId: 888_888 }, tick())))
      expect(u).toEqual(err({ type: 'UnknownCategory', categoryId: 888_888 }))
      expect(await store.products.byId(p.id)).toEqual(p)
    })

    test(
      'sku: kept as written; unique without regard to case on insert and update; none any number of ' + 'times',
      async () => {
        const c = await category('Skus', shop.id)
        const a = await product('Sku A', c.id, { sku: 'Ab.1-x_Y' })
        expect(a.sku).toBe('Ab.1-x_Y')
        expect(await store.products.byId(a.id)).toEqual(a)
        const clash = await store.transact((tx) =>
          tx.products.insert({
            name: 'Sku clash',
            categoryId: c.id,
            price: '1.00',
            stock: 0,
            description: null,
            sku: 'AB.1-X_y',
            now: tick(),
          }),
        )
        expect(clash).toEqual(err({ type: 'Taken', field: 'sku', value: 'AB.1-X_y' }))
        expect((await list({ categoryId: c.id })).sort()).toEqual(['Sku A'])
        const b = await product('Sku B', c.id, { sku: 'B-1' })
        const taken = await store.transact((tx) => tx.products.update(changeProduct(b, { sku: 'ab.1-x_y' }, tick())))
        expect(taken).toEqual(err({ type: 'Taken', field: 'sku', value: 'ab.1-x_y' }))
        expect(await store.products.byId(b.id)).toEqual(b)
        // its own SKU in another case is no clash; products without one never clash
        const recased = must(
          await store.transact((tx) => tx.products.update(changeProduct(a, { sku: 'AB.1-X_Y' }, tick()))),
        )
        expect(recased.sku).toBe('AB.1-X_Y')
        await product('No sku 1', c.id)
        await product('No sku 2', c.id, { sku: null })
        const cleared = must(await store.transact((tx) => tx.products.update(changeProduct(b, { sku: null }, tick()))))
        expect(await store.products.byId(b.id)).toEqual(cleared)
        expect(cleared.sku).toBeNull()
      },
    )

    test('update writes every field and reads the new category back; remove', async () => {
      const a = await category('Update A', shop.id)
      const b = await category('Update B', a.id)
      const p = await product('Before', a.id)
      const next = changeProduct(
        p,
        { name: 'After', description: 'd', price: '12.30', stock: 7, categoryId: b.id, sku: 'After-1' },
        tick(),
      )
      const saved = must(await store.transact((tx) => tx.products.update(next)))
      expect(saved).toEqual({ ...next, category: { id: b.id, name: 'Update B', level: 2 } })
      expect(await store.products.byId(p.id)).toEqual(saved)
      expect(await store.transact(async (tx) => ok(await tx.products.remove(p.id)))).toEqual(ok(true))
      expect(await store.transact(async (tx) => ok(await tx.products.remove(p.id)))).toEqual(ok(false))
      expect(await store.products.byId(p.id)).toBeUndefined()
    })

    test('the category ref is the category as it is now (renamed, moved)', async () => {
      const c = await category('Old name', shop.id)
      const p = await product('Follows', c.id)
      await store.transact(async (tx) =>
        tx.categories.update({ ...c, name: 'New name', parentId: null, updatedAt: tick() }),
      )
      expect((await store.products.byId(p.id))!.category).toEqual({ id: c.id, name: 'New name', level: 0 })
    })

    describe('list', () => {
      // Filter: a 12-level tree with products at several depths.
      let root: Category, deep: Category[], other: Category
      beforeAll(async () => {
        root = await category('Filter root')
        deep = [root]
        for (let i = 1; i < 12; i++) deep.push(await category(`F${i}`, deep.at(-1)!.id))
        other = await category('Filter other')
        await product('apple pie', root.id, { price: '3.50', stock: 5, description: 'Sweet and warm' })
        await product('Banana BREAD', deep[3]!.id, { price: '7.25', stock: 0 })
        await product('cherry cake', deep[11]!.id, { price: '12.00', stock: 1, description: 'deep down' })
        await product('Date loaf', deep[11]!.id, { price: '7.25', stock: 2 })
        await product('100% fruit_juice \\ special', other.id, {
          price: '2.00',
          stock: 9,
          description: 'O\'Brien\'s "best"',
        })
        await product('1000 fruitXjuice', other.id, { price: '2.00', stock: 9 })
        await product('Ünïcödé 苹果 🍎', other.id, { price: '99.99', stock: 0 })
      })

      test('category_id takes the whole subtree, at any depth; without subcategories only its own', async () => {
        expect(await list({ categoryId: root.id })).toEqual(['apple pie', 'Banana BREAD', 'cherry cake', 'Date loaf'])
        expect(await list({ categoryId: deep[3]!.id })).toEqual(['Banana BREAD', 'cherry cake', 'Date loaf'])
        expect(await list({ categoryId: deep[11]!.id })).toEqual(['cherry cake', 'Date loaf'])
        expect(await list({ categoryId: root.id, includeSubcategories: false })).toEqual(['apple pie'])
        expect(await list({ categoryId: 123_456 })).toEqual([])
      })

      test('price bounds are inclusive; in_stock splits at zero', async () => {
        expect(await list({ categoryId: root.id, minPrice: '7.25', maxPrice: '12.00' })).toEqual([
          'Banana BREAD',
          'cherry cake',
          'Date loaf',
        ])
        expect(await list({ categoryId: root.id, minPrice: '7.26' })).toEqual(['cherry cake'])
        expect(await list({ categoryId: root.id, maxPrice: '3.5' })).toEqual(['apple pie'])
        expect(await list({ categoryId: root.id, inStock: true })).toEqual(['apple pie', 'cherry cake', 'Date loaf'])
        expect(await list({ categoryId: root.id, inStock: false })).toEqual(['Banana BREAD'])
      })

      test('q: case-insensitive substring of name or description; wildcards and quotes are literal', async () => {
        expect(await list({ q: 'BREAD' })).toEqual(['Banana BREAD'])
        expect(await list({ q: 'sweet AND' })).toEqual(['apple pie'])
        expect(await list({ q: 'DEEP' })).toEqual(['cherry cake'])
        expect(await list({ q: '%' })).toEqual(['100% fruit_juice \\ special'])
        expect(await list({ q: 'fruit_juice' })).toEqual(['100% fruit_juice \\ special'])
        expect(await list({ q: '\\' })).toEqual(['100% fruit_juice \\ special'])
        expect(await list({ q: 'o\'brien\'s "BEST"' })).toEqual(['100% fruit_juice \\ special'])
        expect(await list({ q: '苹果 🍎' })).toEqual(['Ünïcödé 苹果 🍎'])
        expect(await list({ q: "'; drop table products; --" })).toEqual([])
        expect(await list({ q: 'x'.repeat(1000) })).toEqual([])
        expect((await store.products.list({}, ALL)).total).toBeGreaterThanOrEqual(7)
      })

      test('sorts, each with id breaking ties, descending the exact reverse', async () => {
        const f = { categoryId: root.id }
        const ids = async (sort: ProductSort) =>
          (await store.products.list({ ...f, sort }, ALL)).items.map((p) => p.name)
        expect(await ids('id')).toEqual(['apple pie', 'Banana BREAD', 'cherry cake', 'Date loaf'])
        await expectSortsBothWays((sort) => ids(sort as ProductSort), {
          name: ['apple pie', 'Banana BREAD', 'cherry cake', 'Date loaf'],
          price: ['apple pie', 'Banana BREAD', 'Date loaf', 'cherry cake'],
          created_at: ['apple pie', 'Banana BREAD', 'cherry cake', 'Date loaf'],
        })
      })

      test('pages with a total; past the end is empty with the same total', async () => {
        const page = await store.products.list({ categoryId: root.id, sort: 'price' }, { limit: 2, offset: 1 })
        expect(page.items.map((p) => p.name)).toEqual(['Banana BREAD', 'Date loaf'])
        expect(page.total).toBe(4)
        expect(await store.products.list({ categoryId: root.id }, { limit: 2, offset: 10 })).toEqual({
          items: [],
          total: 4,
          asOf: await store.versions(),
        })
      })

      test('a page carries the change counters of the state it was read in, empty pages too', async () => {
        const before = await store.versions()
        expect((await store.products.list({ categoryId: root.id }, { limit: 2, offset: 0 })).asOf).toEqual(before)
        expect((await store.products.list({ q: 'no such product anywhere' }, { limit: 2, offset: 0 })).asOf).toEqual(
          before,
        )
        expect((await store.products.list({ minPrice: '0.01' }, { limit: 2, offset: 0 })).asOf).toEqual(before)
        expect((await store.products.list({}, { limit: 2, offset: 0 })).asOf).toEqual(before)
        const made = await product('asOf probe', root.id)
        const after = await store.products.list({ categoryId: root.id }, { limit: 2, offset: 0 })
        expect(after.asOf.products).toBeGreaterThan(before.products)
        expect(after.asOf).toEqual(await store.versions())
        expect(after.total).toBe(5)
        expect(await store.transact(async (tx) => ok(await tx.products.remove(made.id)))).toEqual(ok(true))
      })
    })

    test('totals stay exact through inserts, moves between categories, deletes and rolled-back writes', async () => {
      // The subtree total comes from per-category counts on postgres: every write must keep them right.
      const top = await category('Totals')
      const left = await category('Totals L', top.id)
      const deep = await category('Totals LL', left.id)
      const right = await category('Totals R', top.id)
      const total = async (f: Parameters<CatalogStore['products']['list']>[0], page = ALL) =>
        (await store.products.list(f, page)).total
      const expectTotals = async (t: { top: number; left: number; deep: number; right: number; leftOnly: number }) => {
        expect(await total({ categoryId: top.id })).toBe(t.top)
        expect(await total({ categoryId: left.id })).toBe(t.left)
        expect(await total({ categoryId: deep.id })).toBe(t.deep)
        expect(await total({ categoryId: right.id })).toBe(t.right)
        expect(await total({ categoryId: left.id, includeSubcategories: false })).toBe(t.leftOnly)
        // past the last page, and with a filter that is not the category (counted another way)
        expect(await total({ categoryId: top.id }, { limit: 5, offset: 1000 })).toBe(t.top)
        expect(await total({ categoryId: top.id, minPrice: '0.01' })).toBe(t.top)
        expect((await store.products.list({ categoryId: top.id }, { limit: 1000, offset: 0 })).items.length).toBe(t.top)
      }
      const a = await product('T a', left.id)
      const b = await product('T b', deep.id)
      const c = await product('T c', deep.id, { stock: 5 })
      await product('T d', right.id)
      await expectTotals({ top: 4, left: 3, deep: 2, right: 1, leftOnly: 1 })
      // a move to another category, a change that keeps the category, a stock change
      must(await store.transact((tx) => tx.products.update(changeProduct(b, { categoryId: right.id }, tick()))))
      must(await store.transact((tx) => tx.products.update(changeProduct(c, { name: 'T c2', price: '3.00' }, tick()))))
      must(await store.transact(async (tx) => tx.products.take([{ productId: c.id, quantity: 1 }], tick())))
      await expectTotals({ top: 4, left: 2, deep: 1, right: 2, leftOnly: 1 })
      // a write rolled back changes no total
      await store.transact(async (tx) => {
        await tx.products.insert({
          name: 'T ghost',
          categoryId: deep.id,
          price: '1.00',
          stock: 0,
          description: null,
          sku: null,
          now: tick(),
        })
        await tx.products.remove(a.id)
        return err('rolled back')
      })
      await expectTotals({ top: 4, left: 2, deep: 1, right: 2, leftOnly: 1 })
      expect(must(await store.transact(async (tx) => ok(await tx.products.remove(a.id))))).toBe(true)
      await expectTotals({ top: 3, left: 1, deep: 1, right: 2, leftOnly: 0 })
      // a whole subtree moved under another category carries its products' count along
      must(await store.transact(async (tx) => tx.categories.update({ ...deep, parentId: right.id })))
      await expectTotals({ top: 3, left: 0, deep: 1, right: 3, leftOnly: 0 })
      expect(await total({ categoryId: 777_777 })).toBe(0)
    })

    describe('stock', () => {
      let c: Category
      beforeAll(async () => {
        c = await category('Stock')
      })
      const take = (lines: { productId: number; quantity: number }[]) =>
        store.transact(async (tx) => ok(await tx.products.take(lines, tick())))

      test('take: all lines or none; the changed products come back with a new version', async () => {
        const a = await product('Take A', c.id, { stock: 5 })
        const b = await product('Take B', c.id, { stock: 1 })
        const refused = must(
          await take([
            { productId: a.id, quantity: 2 },
            { productId: b.id, quantity: 2 },
            { productId: 999_001, quantity: 1 },
          ]),
        )
        expect(refused).toEqual(err({ short: [b.id], unknown: [999_001] }))
        expect((await store.products.byId(a.id))!.stock).toBe(5)
        const taken = must(
          must(
            await take([
              { productId: a.id, quantity: 5 },
              { productId: b.id, quantity: 1 },
            ]),
          ),
        )
        expect(taken.map((p) => [p.id, p.stock, p.version])).toEqual([
          [a.id, 0, 2],
          [b.id, 0, 2],
        ])
        expect((await store.products.byId(a.id))!).toMatchObject({ stock: 0, version: 2 })
        expect(must(await take([{ productId: a.id, quantity: 1 }]))).toEqual(err({ short: [a.id], unknown: [] }))
      })

      test('restock puts units back and skips deleted products', async () => {
        const a = await product('Restock A', c.id, { stock: 1 })
        const gone = await product('Restock gone', c.id, { stock: 1 })
        await store.transact(async (tx) => ok(await tx.products.remove(gone.id)))
        const changed = must(
          await store.transact(async (tx) =>
            ok(
              await tx.products.restock(
                [
                  { productId: a.id, quantity: 4 },
                  { productId: gone.id, quantity: 1 },
                ],
                tick(),
              ),
            ),
          ),
        )
        expect(changed.map((p) => [p.id, p.stock, p.version])).toEqual([[a.id, 5, 2]])
      })

      test('reservations: one per order; reject records why; release happens once', async () => {
        const now = tick()
        const r = {
          orderId: 501,
          status: 'reserved' as const,
          lines: [{ productId: 1, quantity: 2 }],
          reason: null,
          productIds: [],
          createdAt: now,
          updatedAt: now,
        }
        expect(must(await store.transact(async (tx) => ok(await tx.reservations.open(r))))).toBe(true)
        expect(must(await store.transact(async (tx) => ok(await tx.reservations.open({ ...r, lines: [] }))))).toBe(
          false,
        )
        expect(must(await store.transact(async (tx) => ok(await tx.reservations.byOrder(501))))).toEqual(r)
        const released = must(await store.transact(async (tx) => ok(await tx.reservations.release(501, now))))
        expect(released).toMatchObject({ orderId: 501, status: 'released', lines: r.lines })
        expect(must(await store.transact(async (tx) => ok(await tx.reservations.release(501, now))))).toBeUndefined()
        expect(must(await store.transact(async (tx) => ok(await tx.reservations.release(999, now))))).toBeUndefined()
        await store.transact(async (tx) => ok(await tx.reservations.open({ ...r, orderId: 502 })))
        await store.transact(async (tx) =>
          ok(await tx.reservations.reject(502, { reason: 'insufficient stock', productIds: [1] }, now)),
        )
        expect(must(await store.transact(async (tx) => ok(await tx.reservations.byOrder(502))))).toMatchObject({
          status: 'rejected',
          reason: 'insufficient stock',
          productIds: [1],
        })
        expect(must(await store.transact(async (tx) => ok(await tx.reservations.release(502, now))))).toBeUndefined()
      })

      test('the inbox claims an event id once, and forgets it when the transaction rolls back', async () => {
        const id = crypto.randomUUID()
        await store.transact(async (tx) => {
          await tx.inbox.claim(id, 'order.placed')
          return err('rolled back')
        })
        expect(must(await store.transact(async (tx) => ok(await tx.inbox.claim(id, 'order.placed'))))).toBe(true)
        expect(must(await store.transact(async (tx) => ok(await tx.inbox.claim(id, 'order.placed'))))).toBe(false)
      })
    })
  })
}

contract('memory', async () => memoryCatalogStore())
for (const db of await adapterDatabases('catalog', MIGRATIONS)) {
  contract(`postgres (${db.kind})`, async () => postgresCatalogStore(await db.open()))
}
