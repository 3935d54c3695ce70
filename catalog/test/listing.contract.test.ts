import { must } from '@shop/platform/testing/fixtures'
import { beforeAll, describe, expect, test } from 'bun:test'
import { compare } from '@shop/kernel/money'
import { err, ok } from '@shop/kernel/result'
import { adapterDatabases, sharedServerDb } from '@shop/platform/testing/databases'
import type { Sql } from '@shop/platform/postgres/connect'
import { MIGRATIONS } from '../src/main.ts'
import { memoryCatalogStore } from '../src/adapters/memory/store.ts'
import { postgresCatalogStore } from '../src/adapters/postgres/store.ts'
import type { Category } from '../src/domain/category.ts'
import { compareKeys, nameKey } from '../src/domain/name-key.ts'
import { PRODUCT_SORTS, type Product, type ProductSort, changeProduct } from '../src/domain/product.ts'
import type { Page } from '@shop/kernel/app'
import type { CatalogStore } from '../src/ports.ts'
import { derivedDataErrors } from './derived.ts'

/**
 * The listing at scale, over every adapter: every sort and page of scopes small and large (on
 * postgres some pages are walked along the sort's index, others gathered from the subtree's
 * posting list: the results must not tell), totals through writes, moves of a 1,000-category
 * subtree, the change counters; and on postgres, a catalog imported in plain SQL.
 */
function contract(name: string, make: () => Promise<{ store: CatalogStore; sql?: Sql }>, plainSql = false) {
  describe(`listing contract: ${name}`, () => {
    let store: CatalogStore
    let sql: Sql | undefined
    let clock = Date.UTC(2026, 0, 1)
    const tick = () => {
      clock += 1000
      return new Date(clock)
    }
    // A seeded generator: the same data every run.
    let seed = 7
    const rand = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
      return seed / 2_147_483_648
    }

    /** Categories inserted in one transaction; `parents[i]` indexes an earlier one (or null). */
    const tree = async (names: string[], parents: (number | null)[], under: number | null): Promise<Category[]> =>
      must(
        await store.transact(async (tx) => {
          const made: Category[] = []
          for (let i = 0; i < names.length; i++) {
            const p = parents[i]
            made.push(
              must(
                await tx.categories.insert({
                  name: names[i]!,
                  parentId: p === null || p === undefined ? under : made[p]!.id,
                  description: null,
                  now: tick(),
                }),
              ),
            )
          }
          return ok(made)
        }),
      )
    /** `perCategory` products in each category, in one transaction, in a shuffled order. */
    const fill = async (cats: readonly Category[], perCategory: number): Promise<Product[]> => {
      const owners = cats.flatMap((c) => Array.from({ length: perCategory }, () => c.id))
      for (let i = owners.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1))
        ;[owners[i], owners[j]] = [owners[j]!, owners[i]!]
      }
      return must(
        await store.transact(async (tx) => {
          const made: Product[] = []
          for (const categoryId of owners) {
            // Few distinct prices, names and dates: ties everywhere, so the id must break them.
            const n = Math.floor(rand() * 40)
            const at = new Date(clock + Math.floor(rand() * 20) * 1000)
            made.push(
              must(
                await tx.products.insert({
                  name: `${n % 2 ? 'item' : 'ITEM'} ${n % 7}`,
                  description: null,
                  price: `${1 + (n % 9)}.${n % 3}0`,
                  stock: n % 4,
                  categoryId,
                  sku: null,
                  now: at,
                }),
              ),
            )
          }
          clock += 30_000
          return ok(made)
        }),
      )
    }
    /** A random tree of `size` categories under `under`, each new one below any earlier one. */
    const randomTree = (prefix: string, size: number, under: number | null) =>
      tree(
        Array.from({ length: size }, (_, i) => `${prefix} ${i}`),
        Array.from({ length: size }, (_, i) => (i === 0 ? null : Math.floor(rand() * i))),
        under,
      )

    const orders: Record<ProductSort, (a: Product, b: Product) => number> = {
      id: (a, b) => a.id - b.id,
      name: (a, b) => compareKeys(nameKey(a.name), nameKey(b.name)) || a.id - b.id,
      '-name': (a, b) => compareKeys(nameKey(b.name), nameKey(a.name)) || b.id - a.id,
      price: (a, b) => compare(a.price, b.price) || a.id - b.id,
      '-price': (a, b) => compare(b.price, a.price) || b.id - a.id,
      created_at: (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id - b.id,
      '-created_at': (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id,
    }
    /** What a page must be: the reference, computed here from what was written. */
    const expected = (all: readonly Product[], inScope: (p: Product) => boolean, sort: ProductSort, page: Page) => {
      const scope = all.filter(inScope).sort(orders[sort])
      return { ids: scope.slice(page.offset, page.offset + page.limit).map((p) => p.id), total: scope.length }
    }
    const listed = async (categoryId: number, sort: ProductSort, page: Page, includeSubcategories = true) => {
      const r = await store.products.list({ categoryId, sort, includeSubcategories }, page)
      return { ids: r.items.map((p) => p.id), total: r.total }
    }

    beforeAll(async () => {
      ;({ store, sql } = await make())
    })

    describe('pages of scopes of every size', () => {
      // 1,200 products: a department of 100 categories (1,000 products), a branch of 15 (150), a
      // branch of 3 (30), and another root (20). With limit 20, the department's first pages are
      // walked on postgres (1,000² ≥ 20 × 1,200) and its last ones gathered; the small branches
      // are gathered; the 150-product branch is walked with limit 10 and gathered with limit 20.
      let all: Product[]
      let dept: Category[], mid: Category[], small: Category[], other: Category[]
      const below = (root: Category, cats: readonly Category[]) =>
        new Set(cats.filter((c) => c.id === root.id || isBelow(c, root, cats)).map((c) => c.id))
      const isBelow = (c: Category, root: Category, cats: readonly Category[]): boolean => {
        const byId = new Map(cats.map((x) => [x.id, x]))
        for (let x: Category | undefined = c; x; x = x.parentId === null ? undefined : byId.get(x.parentId))
          if (x.id === root.id) return true
        return false
      }
      let everyCategory: Category[]

      beforeAll(async () => {
        dept = await randomTree('Dept', 100, null)
        mid = await randomTree('Mid', 15, dept[7]!.id)
        small = await randomTree('Small', 3, mid[2]!.id)
        other = await randomTree('Other', 2, null)
        all = [...(await fill(dept, 10)), ...(await fill(other, 10))]
        // The branches' own products come last: ids and dates of a scope are not all at one end.
        all.push(...(await fill(mid, 10)), ...(await fill(small, 10)))
        everyCategory = [...dept, ...mid, ...small, ...other]
      }, 120_000) // 1,200 products written one by one

      test('every sort, first, middle and last pages, walked or gathered: exactly the reference', async () => {
        const scopes = [dept[0]!, dept[7]!, mid[0]!, mid[2]!, small[0]!, small[2]!, other[0]!]
        for (const root of scopes) {
          const ids = below(root, everyCategory)
          const inScope = (p: Product) => ids.has(p.categoryId)
          const size = all.filter(inScope).length
          for (const sort of PRODUCT_SORTS) {
            for (const page of [
              { limit: 20, offset: 0 },
              { limit: 10, offset: 0 },
              { limit: 7, offset: 13 },
              { limit: 20, offset: Math.max(0, size - 15) },
              { limit: 50, offset: size + 5 },
            ]) {
              expect({ root: root.name, sort, page, ...(await listed(root.id, sort, page)) }).toEqual({
                root: root.name,
                sort,
                page,
                ...expected(all, inScope, sort, page),
              })
            }
          }
          // one category alone
          const own = (p: Product) => p.categoryId === root.id
          for (const sort of ['id', '-price', 'name'] as const) {
            expect(await listed(root.id, sort, { limit: 5, offset: 0 }, false)).toEqual(
              expected(all, own, sort, { limit: 5, offset: 0 }),
            )
          }
        }
      })

      test('the whole catalog, and a filter beside the category (counted, not taken from the counts)', async () => {
        // This describe's data are all there is in the store so far.
        const r = await store.products.list({ sort: '-price' }, { limit: 30, offset: 10 })
        expect({ ids: r.items.map((p) => p.id), total: r.total }).toEqual(
          expected(all, () => true, '-price', { limit: 30, offset: 10 }),
        )
        const ids = below(dept[0]!, everyCategory)
        const f = await store.products.list(
          { categoryId: dept[0]!.id, minPrice: '3.00', maxPrice: '7.00', sort: 'price' },
          { limit: 25, offset: 5 },
        )
        const want = expected(
          all,
          (p) => ids.has(p.categoryId) && compare(p.price, '3.00') >= 0 && compare(p.price, '7.00') <= 0,
          'price',
          { limit: 25, offset: 5 },
        )
        expect({ ids: f.items.map((p) => p.id), total: f.total }).toEqual(want)
      })

      test('the page carries each product whole, with its category as it is now', async () => {
        const r = await store.products.list({ categoryId: mid[0]!.id, sort: 'id' }, { limit: 3, offset: 0 })
        for (const p of r.items) expect(p).toEqual((await store.products.byId(p.id))!)
      })
    })

    test('a 1,000-category subtree moves with its products: ' +
      'levels, listings and totals follow, there and back', async () => {
      const [from, to] = await tree(['Move from', 'Move to'], [null, null], null)
      const [fromDeep] = await tree(['Move from 1'], [null], from!.id)
      const [toDeep] = (await tree(['Move to 1', 'Move to 2', 'Move to 3'], [null, 0, 1], to!.id)).slice(2)
      const big = await randomTree('Moving', 1000, fromDeep!.id)
      const products = await fill(big, 1)
      const total = async (id: number) => (await store.products.list({ categoryId: id }, { limit: 1, offset: 0 })).total
      const levelsRight = async (top: Category) => {
        const levels = new Map([[top.id, (await store.categories.byId(top.id))!.level]])
        const all = await store.categories.list({ under: top.id }, { limit: 1000, offset: 0 })
        expect(all.total).toBe(999)
        for (const c of all.items) {
          expect(c.level).toBe(levels.get(c.parentId!)! + 1)
          levels.set(c.id, c.level)
        }
      }
      expect([await total(from!.id), await total(fromDeep!.id), await total(to!.id)]).toEqual([1000, 1000, 0])
      const before = await store.products.list({ categoryId: big[0]!.id, sort: 'price' }, { limit: 50, offset: 100 })

      const moved = must(
        await store.transact((tx) => tx.categories.update({ ...big[0]!, parentId: toDeep!.id, updatedAt: tick() })),
      )
      expect(moved.level).toBe(4)
      await levelsRight(moved)
      expect([
        await total(from!.id),
        await total(fromDeep!.id),
        await total(to!.id),
        await total(toDeep!.id),
        await total(big[0]!.id),
      ]).toEqual([0, 0, 1000, 1000, 1000])
      const after = await store.products.list({ categoryId: to!.id, sort: 'price' }, { limit: 50, offset: 100 })
      expect(after.items.map((p) => p.id)).toEqual(before.items.map((p) => p.id))
      // the products' category refs carry the new levels
      for (const p of after.items) expect(p.category.level).toBe((await store.categories.byId(p.categoryId))!.level)
      const deepest = products.reduce((a, p) => (p.category.level > a.category.level ? p : a))
      expect((await store.products.byId(deepest.id))!.category.level).toBe(deepest.category.level + 2)

      must(await store.transact((tx) => tx.categories.update({ ...moved, parentId: fromDeep!.id, updatedAt: tick() })))
      await levelsRight(big[0]!)
      expect([await total(from!.id), await total(to!.id), await total(toDeep!.id)]).toEqual([1000, 0, 0])
      expect(
        (await store.products.list({ categoryId: from!.id, sort: 'price' }, { limit: 50, offset: 100 })).items.map(
          (p) => p.id,
        ),
      ).toEqual(before.items.map((p) => p.id))
      if (sql) expect(await derivedDataErrors(sql)).toEqual([])
    }, 180_000) // long by design (1,000 categories there and back): a bound of its own, not the suite's

    test('totals through every kind of product write; a rolled-back one changes nothing', async () => {
      const [top, a, b] = await tree(['Writes', 'Writes A', 'Writes B'], [null, 0, 0], null)
      const total = async (id: number) => (await store.products.list({ categoryId: id }, { limit: 1, offset: 0 })).total
      const [p, q] = await fill([a!], 2)
      await fill([b!], 3)
      expect([await total(top!.id), await total(a!.id), await total(b!.id)]).toEqual([5, 2, 3])
      must(await store.transact((tx) => tx.products.update(changeProduct(p!, { categoryId: b!.id }, tick()))))
      expect([await total(top!.id), await total(a!.id), await total(b!.id)]).toEqual([5, 1, 4])
      await store.transact(async (tx) => {
        await tx.products.remove(q!.id)
        await tx.products.update(changeProduct((await tx.products.byId(p!.id, true))!, { categoryId: a!.id }, tick()))
        return err('rolled back')
      })
      expect([await total(top!.id), await total(a!.id), await total(b!.id)]).toEqual([5, 1, 4])
      must(await store.transact(async (tx) => ok(await tx.products.remove(q!.id))))
      expect([await total(top!.id), await total(a!.id), await total(b!.id)]).toEqual([4, 0, 4])
      if (sql) expect(await derivedDataErrors(sql)).toEqual([])
    })

    if (plainSql) {
      test(
        'a catalog imported in plain SQL (parents and children in ' +
          'one statement) is listed like one written through the store',
        async () => {
          const db = sql!
          // 300 categories in one statement, a ternary tree whose parents come before their
          // children; 3,000 products in another. Neither says a level, a path or a count.
          const BASE = 1_000_000
          const CATS = 300
          const parentOf = (k: number): number | null => (k === 0 ? null : Math.floor((k - 1) / 3))
          await db`
          insert into categories (id, name, name_key, description, parent_id, created_at, updated_at)
          select ${BASE} + k, 'Imported ' || k, 'imported ' || k, null,
                 case when k = 0 then null else ${BASE} + (k - 1) / 3 end, now(), now()
          from generate_series(0, ${CATS - 1}) as k order by k`
          const model = Array.from({ length: 3000 }, (_, i) => ({
            id: BASE + i,
            cat: (i * 7) % CATS,
            price: `${1 + ((i * 13) % 50)}.${(i * 3) % 10}0`,
            at: new Date(Date.UTC(2025, 0, 1) + ((i * 37) % 500) * 60_000),
            name: `Imported item ${(i * 11) % 97}`,
          }))
          await db`
          insert into products (id, name, name_key, description, price, stock, category_id, created_at, updated_at,
            version)
          select id, name, lower(name), null, price, 1, ${BASE} + cat, at, at, 1
          from unnest(${model.map((m) => m.id)}::bigint[], ${model.map((m) => m.name)}::text[],
            ${model.map((m) => m.price)}::numeric[],
                      ${model.map((m) => m.cat)}::int[],
                        ${model.map((m) => m.at.toISOString())}::timestamptz[]) as t(id, name, price, cat, at)`
          expect(await derivedDataErrors(db)).toEqual([])

          const under = (k: number, root: number): boolean => {
            for (let x: number | null = k; x !== null; x = parentOf(x)) if (x === root) return true
            return false
          }
          const check = async (roots: number[]) => {
            for (const root of roots) {
              const inScope = (p: Product) => under(p.categoryId - BASE, root)
              const asProducts = model.map(
                (m) =>
                  ({ id: m.id, name: m.name, price: m.price, createdAt: m.at, categoryId: BASE + m.cat }) as Product,
              )
              for (const sort of ['id', '-price', 'name', '-created_at'] as const) {
                for (const page of [
                  { limit: 50, offset: 0 },
                  { limit: 20, offset: 40 },
                ]) {
                  expect(await listed(BASE + root, sort, page)).toEqual(expected(asProducts, inScope, sort, page))
                }
              }
            }
          }
          // the root (all 3,000: walked), a mid-level branch, a leaf (gathered)
          await check([0, 1, 4, 13, 299])
          const level = async (k: number) => (await store.categories.byId(BASE + k))!.level
          expect([await level(0), await level(1), await level(4), await level(13), await level(299)]).toEqual([
            0, 1, 2, 3, 5,
          ])

          // Bulk changes in plain SQL: deletes, changes of category, a move; then a rolled-back import.
          await db`delete from products where id between ${BASE} and ${BASE + 2999} and id % 7 = 0`
          await db`update products set category_id = ${BASE + 5} where id between ${BASE} and ${BASE + 2999}
          and id % 5 = 0`
          await db`update categories set parent_id = ${BASE + 12} where id = ${BASE + 4}`
          for (let i = model.length - 1; i >= 0; i--) if (model[i]!.id % 7 === 0) model.splice(i, 1)
          for (const m of model) if (m.id % 5 === 0) m.cat = 5
          const moved = (k: number) => (k === 4 ? 12 : parentOf(k))
          const under2 = (k: number, root: number): boolean => {
            for (let x: number | null = k; x !== null; x = moved(x)) if (x === root) return true
            return false
          }
          await expect(
            db.begin(async (t) => {
              await t`insert into products (name, name_key, price, category_id, created_at, updated_at) values ('ghost',
              'ghost', 1, ${BASE + 3}, now(), now())`
              throw new Error('abandoned import')
            }),
          ).rejects.toThrow('abandoned import')
          expect(await derivedDataErrors(db)).toEqual([])
          for (const root of [0, 1, 3, 4, 12]) {
            const inScope = (p: Product) => under2(p.categoryId - BASE, root)
            const asProducts = model.map(
              (m) => ({ id: m.id, name: m.name, price: m.price, createdAt: m.at, categoryId: BASE + m.cat }) as Product,
            )
            expect(await listed(BASE + root, 'price', { limit: 30, offset: 10 })).toEqual(
              expected(asProducts, inScope, 'price', { limit: 30, offset: 10 }),
            )
          }
          expect(await level(13)).toBe(4)
          // A move into its own subtree is refused by the database too.
          await expect(db`update categories set parent_id = ${BASE + 13} where id = ${BASE + 12}`).rejects.toThrow(
            /own subtree/,
          )
        },
      )
    }

    test(
      'the change counters: up with every committed write (stock included), ' + 'not with reads or rollbacks',
      async () => {
        const [c] = await tree(['Versions'], [null], null)
        const v0 = await store.versions()
        const [p] = await fill([c!], 1)
        const v1 = await store.versions()
        expect(v1.products).toBeGreaterThan(v0.products)
        await store.products.list({ categoryId: c!.id }, { limit: 5, offset: 0 })
        await store.transact(async (tx) => {
          await tx.products.take([{ productId: p!.id, quantity: 0 }], tick())
          await tx.categories.insert({ name: 'Versions ghost', parentId: null, description: null, now: tick() })
          return err('rolled back')
        })
        expect(await store.versions()).toEqual(v1)
        must(
          await store.transact(async (tx) =>
            ok(await tx.products.restock([{ productId: p!.id, quantity: 1 }], tick())),
          ),
        )
        const v2 = await store.versions()
        expect(v2).toEqual({ ...v1, products: v1.products + 1 })
        must(await store.transact((tx) => tx.categories.update({ ...c!, name: 'Versions renamed', updatedAt: tick() })))
        expect(await store.versions()).toEqual({ ...v2, categories: v2.categories + 1 })
      },
    )

    test(
      'the change counters: every kind of write moves the ' +
        'counter of what it changed, and only that; the epoch stays',
      async () => {
        const start = await store.versions()
        expect(start.epoch).toMatch(/^[0-9a-f]{12}$/)
        /** Runs one committed write; expects exactly the named counters to have gone up. */
        const moves = async <T>(
          what: ('products' | 'categories')[],
          work: Parameters<CatalogStore['transact']>[0],
        ): Promise<T> => {
          const before = await store.versions()
          const made = must(await store.transact(work)) as T
          const after = await store.versions()
          expect(after.epoch).toBe(start.epoch)
          for (const k of ['products', 'categories'] as const) {
            if (what.includes(k)) expect(after[k]).toBeGreaterThan(before[k])
            else expect(after[k]).toBe(before[k])
          }
          return made
        }
        const a = await moves<Category>(['categories'], async (tx) =>
          tx.categories.insert({ name: 'Counted A', parentId: null, description: null, now: tick() }),
        )
        const b = await moves<Category>(['categories'], async (tx) =>
          tx.categories.insert({ name: 'Counted B', parentId: null, description: null, now: tick() }),
        )
        const leaf = await moves<Category>(['categories'], async (tx) =>
          tx.categories.insert({ name: 'Counted leaf', parentId: a.id, description: null, now: tick() }),
        )
        const p = await moves<Product>(['products'], async (tx) =>
          tx.products.insert({
            name: 'counted',
            description: null,
            price: '1.00',
            stock: 3,
            categoryId: leaf.id,
            sku: null,
            now: tick(),
          }),
        )
        await moves(['products'], async (tx) =>
          tx.products.update({ ...p, price: '2.00', version: p.version + 1, updatedAt: tick() }),
        )
        await moves(['products'], async (tx) => ok(await tx.products.take([{ productId: p.id, quantity: 1 }], tick())))
        await moves(['products'], async (tx) =>
          ok(await tx.products.restock([{ productId: p.id, quantity: 1 }], tick())),
        )
        // A move of a category with products: the products' paths are rewritten; categories count it.
        const moved = must(await store.transact(async (tx) => ok((await tx.categories.byId(leaf.id, true))!)))
        await moves(['categories'], async (tx) => tx.categories.update({ ...moved, parentId: b.id, updatedAt: tick() }))
        expect((await store.categories.byId(leaf.id))?.level).toBe(1)
        await moves(['categories'], async (tx) =>
          tx.categories.update({ ...moved, parentId: b.id, description: 'described', updatedAt: tick() }),
        )
        const current = (await store.products.byId(p.id))!
        await moves(['products'], async (tx) =>
          tx.products.update({ ...current, categoryId: a.id, version: current.version + 1, updatedAt: tick() }),
        )
        await moves(['products'], async (tx) => ok(await tx.products.remove(p.id)))
        await moves(['categories'], async (tx) => tx.categories.remove(leaf.id))
      },
    )

    if (plainSql) {
      test(
        'the change counters move with writes in plain SQL too (an import, ' + 'a stock fix, a move, a delete)',
        async () => {
          const db = sql!
          const v = () => store.versions()
          const v0 = await v()
          const [root] = await db<
            { id: number }[]
          >`insert into categories (name, name_key, level, created_at, updated_at) values ('Plain root', 'plain root',
            0,
          now(), now()) returning id`
          const [kid] = await db<
            { id: number }[]
          >`insert into categories (name, name_key, parent_id, level, created_at, updated_at) values ('Plain kid',
          'plain kid', ${root!.id}, 1, now(), now()) returning id`
          const v1 = await v()
          expect(v1).toEqual({ ...v0, categories: v0.categories + 2 })
          await db`insert into products (name, name_key, price, stock, category_id, created_at, updated_at)
          values ('plain a', 'plain a', 1, 1, ${kid!.id}, now(), now()), ('plain b', 'plain b', 2, 2, ${kid!.id},
            now(), now())`
          const v2 = await v()
          expect(v2).toEqual({ ...v1, products: v1.products + 1 })
          await db`update products set stock = stock + 1 where category_id = ${kid!.id}`
          const v3 = await v()
          expect(v3).toEqual({ ...v2, products: v2.products + 1 })
          // A move: the products' paths are rewritten by it, which is a category change (one bump).
          await db`update categories set parent_id = null where id = ${kid!.id}`
          const v4 = await v()
          expect(v4).toEqual({ ...v3, categories: v3.categories + 1 })
          // Several statements in one transaction: one bump per table.
          await db.begin(async (t) => {
            await t`delete from products where category_id = ${kid!.id}`
            await t`delete from categories where id in (${kid!.id}, ${root!.id})`
          })
          expect(await v()).toEqual({ ...v4, products: v4.products + 1, categories: v4.categories + 1 })
          // A rolled-back import moves nothing.
          await expect(
            db.begin(async (t) => {
              await t`insert into categories (name, name_key, level, created_at, updated_at) values ('Plain ghost',
              'plain ghost', 0, now(), now())`
              throw new Error('abandoned')
            }),
          ).rejects.toThrow('abandoned')
          expect(await v()).toEqual({ ...v4, products: v4.products + 1, categories: v4.categories + 1 })
        },
      )
    }
  })
}

contract('memory', async () => ({ store: memoryCatalogStore() }))
for (const db of await adapterDatabases('catalog', MIGRATIONS)) {
  contract(
    `postgres (${db.kind})`,
    async () => {
      const sql = await db.open()
      // As the catalog process runs it: the subtree listing on a pool of generic plans (one plan for every category).
      const genericPlans = db.kind === 'pglite' ? sql : (await sharedServerDb('catalog')).genericPlans
      return { store: postgresCatalogStore(sql, { genericPlans }), sql }
    },
    true,
  )
}
