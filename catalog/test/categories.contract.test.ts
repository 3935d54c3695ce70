import { must, steppingClock } from '@shop/platform/testing/fixtures'
import { beforeAll, describe, expect, test } from 'bun:test'
import { adapterDatabases } from '@shop/platform/testing/databases'
import { err, ok } from '@shop/kernel/result'
import { MIGRATIONS } from '../src/main.ts'
import { memoryCatalogStore } from '../src/adapters/memory/store.ts'
import { postgresCatalogStore } from '../src/adapters/postgres/store.ts'
import { type Category, changeCategory } from '../src/domain/category.ts'
import type { CatalogStore } from '../src/ports.ts'
import { childrenIndex, depthFirst } from '../src/domain/tree.ts'

const PAGE = { limit: 100, offset: 0 }

/**
 * One suite for the category store, run over every adapter (every driven port has one contract suite, run on each of
 * its adapters).
 */
function contract(name: string, make: () => Promise<CatalogStore>) {
  describe(`category store contract: ${name}`, () => {
    let store: CatalogStore
    beforeAll(async () => {
      store = await make()
    })
    const tick = steppingClock(1000, Date.UTC(2026, 0, 1, 0, 0, 1)).now
    const insert = (name: string, parentId: number | null = null, description: string | null = null) =>
      store.transact((tx) => tx.categories.insert({ name, parentId, description, now: tick() }))
    const make_ = async (name: string, parentId: number | null = null) => must(await insert(name, parentId))
    const update = (c: Category, changes: Parameters<typeof changeCategory>[1]) =>
      store.transact((tx) => tx.categories.update(changeCategory(c, changes, tick())))
    /** A chain of `depth` categories below `parentId`, top first. */
    const chain = async (prefix: string, depth: number, parentId: number | null = null) => {
      const out: Category[] = []
      for (let i = 0; i < depth; i++) out.push(await make_(`${prefix}${i}`, out.at(-1)?.id ?? parentId))
      return out
    }

    test('insert: a root is level 0, a child its parent + 1; fields round-trip', async () => {
      const root = await make_('Electronics')
      expect(root).toMatchObject({ name: 'Electronics', parentId: null, level: 0, description: null })
      expect(root.id).toBeGreaterThan(0)
      const child = must(await insert('Phones', root.id, 'Zoë’s “smart” phones ✓'))
      expect(child).toMatchObject({ parentId: root.id, level: 1, description: 'Zoë’s “smart” phones ✓' })
      expect(await store.categories.byId(child.id)).toEqual(child)
      expect(await store.categories.byId(999_999)).toBeUndefined()
    })

    test('insert under an unknown parent: ParentNotFound, nothing written', async () => {
      expect(await insert('Orphan', 987_654)).toEqual(err({ type: 'ParentNotFound', parentId: 987_654 }))
      expect((await store.categories.list({}, { limit: 100, offset: 0 })).items.some((c) => c.name === 'Orphan')).toBe(
        false,
      )
    })

    test('sibling names are unique regardless of case (any script); cousins may share a name', async () => {
      const a = await make_('Books')
      const b = await make_('Music')
      await make_('Äpfel & Birnen', a.id)
      expect(await insert('BOOKS')).toEqual(err({ type: 'CategoryNameTaken', name: 'BOOKS', parentId: null }))
      expect(await insert('äPFEL & birnen', a.id)).toEqual(
        err({ type: 'CategoryNameTaken', name: 'äPFEL & birnen', parentId: a.id }),
      )
      expect((await insert('Äpfel & Birnen', b.id)).ok).toBe(true)
      expect((await insert('Books', b.id)).ok).toBe(true)
    })

    test('a 12-level-deep tree: levels, lineage (root first) and the subtree, one query each', async () => {
      const levels = await chain('deep', 12)
      expect(levels.map((c) => c.level)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
      const lineage = await store.categories.lineage(levels[11]!.id)
      expect(lineage.map((c) => c.id)).toEqual(levels.map((c) => c.id))
      expect(await store.categories.lineage(levels[0]!.id)).toEqual([levels[0]!])
      expect(await store.categories.lineage(424_242)).toEqual([])
      const below = await store.categories.list({ under: levels[0]!.id }, PAGE)
      expect(below.items.map((c) => c.id)).toEqual(levels.slice(1).map((c) => c.id))
      expect(below.total).toBe(11)
    })

    test(
      'list: depth-first, each parent before its subtree, ' + 'siblings by name without case; paged with a total',
      async () => {
        const top = await make_('Listing')
        const z = await make_('zebra', top.id)
        const a = await make_('Apple', top.id)
        const b = await make_('banana', top.id)
        const a2 = await make_('Cider', a.id)
        const a1 = await make_('Brandy', a.id)
        const a11 = await make_('aged', a1.id)
        const z1 = await make_('Stripes', z.id)
        const expected = [a, a1, a11, a2, b, z, z1].map((c) => c.id)
        const all = await store.categories.list({ under: top.id }, PAGE)
        expect(all.items.map((c) => c.id)).toEqual(expected)
        expect(all.total).toBe(7)
        const page = await store.categories.list({ under: top.id }, { limit: 3, offset: 2 })
        expect(page.items.map((c) => c.id)).toEqual(expected.slice(2, 5))
        expect(page.total).toBe(7)
        const past = await store.categories.list({ under: top.id }, { limit: 3, offset: 50 })
        expect(past).toEqual({ items: [], total: 7 })
        expect(await store.categories.list({ under: 555_555 }, PAGE)).toEqual({ items: [], total: 0 })
        // the whole tree: every category, roots in name order
        const whole = await store.categories.list({}, { limit: 100, offset: 0 })
        const roots = whole.items.filter((c) => c.parentId === null).map((c) => c.name.toLowerCase())
        expect(roots).toEqual([...roots].sort())
        const at = new Map(whole.items.map((c, i) => [c.id, i]))
        for (const c of whole.items) if (c.parentId !== null) expect(at.get(c.parentId)!).toBeLessThan(at.get(c.id)!)
      },
    )

    test('forest: a page of top categories, each followed by its whole subtree; total counts tops', async () => {
      const top = await make_('Forest')
      const [x, y, z] = [await make_('x', top.id), await make_('y', top.id), await make_('z', top.id)]
      const y1 = await make_('y1', y!.id)
      const y11 = await make_('y11', y1.id)
      const page = await store.categories.forest({ under: top.id }, { limit: 2, offset: 1 }, 100)
      expect(page.items.map((c) => c.id)).toEqual([y!.id, y1.id, y11.id, z!.id])
      expect(page.total).toBe(3)
      expect(await store.categories.forest({ under: top.id }, { limit: 2, offset: 9 }, 100)).toEqual({
        items: [],
        total: 3,
      })
      expect((await store.categories.forest({ under: x!.id }, PAGE, 100)).items).toEqual([])
      // bounded in depth: two levels of y's subtree, y11 (the third) left out
      const shallow = await store.categories.forest({ under: top.id }, { limit: 2, offset: 1 }, 2)
      expect(shallow.items.map((c) => c.id)).toEqual([y!.id, y1.id, z!.id])
      expect((await store.categories.forest({ under: top.id }, { limit: 2, offset: 1 }, 1)).items).toHaveLength(2)
      const roots = await store.categories.forest({}, { limit: 1, offset: 0 }, 100)
      expect(roots.items[0]!.parentId).toBeNull()
      expect(roots.total).toBeGreaterThan(3)
    })

    test('a move takes the whole subtree and recomputes every level in it', async () => {
      const [r1] = await chain('from', 6) // from0 (0) .. from5 (5)
      const deepest = (await store.categories.list({ under: r1!.id }, PAGE)).items.at(-1)!
      const mid = (await store.categories.lineage(deepest.id))[3]! // from3, level 3
      const sub = await chain('sub', 4, mid.id) // levels 4..7
      const sideKid = await make_('side', sub[1]!.id) // level 6
      const target = await make_('Target')
      const before = await store.categories.byId(sub[3]!.id)
      const moved = must(await update(mid, { parentId: target.id }))
      expect(moved).toMatchObject({ id: mid.id, parentId: target.id, level: 1 })
      const below = await store.categories.list({ under: mid.id }, PAGE)
      const levelOf = new Map(below.items.map((c) => [c.id, c.level]))
      expect(levelOf.get(deepest.id)).toBe(3) // from5: was 5, now 1 + 2
      expect(sub.map((c) => levelOf.get(c.id))).toEqual([2, 3, 4, 5])
      expect(levelOf.get(sideKid.id)).toBe(4)
      // descendants whose level changed have a new updated_at; the subtree is still under `mid`
      expect((await store.categories.byId(sub[3]!.id))!.updatedAt.getTime()).toBeGreaterThan(
        before!.updatedAt.getTime(),
      )
      expect((await store.categories.lineage(sub[3]!.id)).map((c) => c.id).slice(0, 3)).toEqual([
        target.id,
        mid.id,
        sub[0]!.id,
      ])
      // and the old tree no longer holds it
      expect((await store.categories.list({ under: r1!.id }, PAGE)).items.map((c) => c.name)).toEqual([
        'from1',
        'from2',
      ])
    })

    test('a move to the top (parent null) makes a root at level 0; its subtree follows', async () => {
      const [a, b, c] = await chain('up', 3)
      const moved = must(await update(b!, { parentId: null }))
      expect(moved).toMatchObject({ parentId: null, level: 0 })
      expect((await store.categories.byId(c!.id))!.level).toBe(1)
      expect((await store.categories.list({ under: a!.id }, PAGE)).total).toBe(0)
    })

    test('a move into its own subtree is refused (CategoryCycle) and changes nothing', async () => {
      const [a, b, c, d] = await chain('cyc', 4)
      for (const target of [a!, b!, d!]) {
        const r = await update(a!, { parentId: target.id })
        expect(r).toEqual(err({ type: 'CategoryCycle', id: a!.id, parentId: target.id }))
      }
      expect(await update(b!, { parentId: c!.id })).toEqual(err({ type: 'CategoryCycle', id: b!.id, parentId: c!.id }))
      expect((await store.categories.lineage(d!.id)).map((x) => x.id)).toEqual([a!.id, b!.id, c!.id, d!.id])
      expect((await store.categories.byId(a!.id))!).toEqual(a!)
    })

    test(
      'a move under an unknown parent, ' + 'or next to a same-named sibling, is refused and changes nothing',
      async () => {
        const a = await make_('Mover')
        const kid = await make_('Kid', a.id)
        const dest = await make_('Dest')
        await make_('mover', dest.id)
        expect(await update(a, { parentId: 777_777 })).toEqual(err({ type: 'ParentNotFound', parentId: 777_777 }))
        expect(await update(a, { parentId: dest.id })).toEqual(
          err({ type: 'CategoryNameTaken', name: 'Mover', parentId: dest.id }),
        )
        expect(await store.categories.byId(a.id)).toEqual(a)
        expect((await store.categories.byId(kid.id))!.level).toBe(1)
        // renamed in the same update, the move goes through
        const moved = must(await update(a, { parentId: dest.id, name: 'Mover 2' }))
        expect(moved).toMatchObject({ name: 'Mover 2', parentId: dest.id, level: 1 })
        expect((await store.categories.byId(kid.id))!.level).toBe(2)
      },
    )

    test('rename and describe: a taken sibling name is refused; a change of case of its own name is not', async () => {
      const p = await make_('Renames')
      const a = await make_('First', p.id)
      await make_('Second', p.id)
      expect(await update(a, { name: 'SECOND' })).toEqual(
        err({ type: 'CategoryNameTaken', name: 'SECOND', parentId: p.id }),
      )
      const renamed = must(await update(a, { name: 'FIRST', description: 'now described' }))
      expect(renamed).toMatchObject({ name: 'FIRST', description: 'now described', level: 1, parentId: p.id })
      expect(await store.categories.byId(a.id)).toEqual(renamed)
    })

    test('remove: refused while it has subcategories or products; false when unknown', async () => {
      const p = await make_('Removals')
      const kid = await make_('Kid', p.id)
      const remove = (id: number) => store.transact((tx) => tx.categories.remove(id))
      expect(await remove(p.id)).toEqual(err({ type: 'CategoryHasChildren', id: p.id }))
      const prod = await store.transact((tx) =>
        tx.products.insert({
          name: 'Thing',
          description: null,
          price: '1.00',
          stock: 0,
          categoryId: kid.id,
          sku: null,
          now: tick(),
        }),
      )
      expect(await remove(kid.id)).toEqual(err({ type: 'CategoryHasProducts', id: kid.id }))
      await store.transact(async (tx) => ok(await tx.products.remove(must(prod).id)))
      expect(await remove(kid.id)).toEqual(ok(true))
      expect(await remove(p.id)).toEqual(ok(true))
      expect(await remove(p.id)).toEqual(ok(false))
      expect(await store.categories.byId(p.id)).toBeUndefined()
      // the name is free again
      expect((await insert('Removals')).ok).toBe(true)
    })

    test('a 300-level chain with side branches: every page, of the subtree and below any of its categories, ' +
      'in depth-first order; pages follow renames, moves and deletes', async () => {
      const root = await make_(`deep-${crypto.randomUUID().slice(0, 8)}`)
      const mine = new Map<number, Category>([[root.id, root]])
      const links = await chain('c', 300, root.id)
      for (const c of links) mine.set(c.id, c)
      for (const i of [0, 100, 200, 299]) {
        const side = await make_(`a-side-${i}`, links[i]!.id)
        mine.set(side.id, side)
      }
      const expected = (under: number) => {
        const idx = childrenIndex([...mine.values()])
        return depthFirst(idx, idx.get(under) ?? []).map((c) => c.id)
      }
      const check = async () => {
        for (const under of [root.id, links[0]!.id, links[150]!.id, links[299]!.id]) {
          const all = expected(under)
          for (const offset of [0, 7, 150, Math.max(0, all.length - 3), all.length, all.length + 5]) {
            const page = await store.categories.list({ under }, { limit: 7, offset })
            expect(page.items.map((c) => c.id)).toEqual(all.slice(offset, offset + 7))
            expect(page.total).toBe(all.length)
          }
        }
      }
      await check()
      // the items are whole categories, levels right
      const deepest = (await store.categories.list({ under: root.id }, { limit: 1, offset: 302 })).items[0]!
      expect(deepest.level).toBe(300)
      // a rename changes the sibling order: the side leaf of c0 now after the chain's next link
      const side0 = [...mine.values()].find((c) => c.name === 'a-side-0')!
      const renamed = must(await update(side0, { name: 'z-side-0' }))
      mine.set(renamed.id, renamed)
      await check()
      // a move: the chain from c250 down under the side leaf of c100
      const side100 = [...mine.values()].find((c) => c.name === 'a-side-100')!
      const moved = must(await update(links[250]!, { parentId: side100.id }))
      mine.set(moved.id, { ...moved })
      await check()
      expect((await store.categories.lineage(links[299]!.id)).length).toBe(299 - 250 + 102 + 1 + 1)
      // a delete
      const side299 = [...mine.values()].find((c) => c.name === 'a-side-299')!
      expect(must(await store.transact((tx) => tx.categories.remove(side299.id)))).toBe(true)
      mine.delete(side299.id)
      await check()
      // an unknown category has nothing below it
      expect(await store.categories.list({ under: 424_243 }, { limit: 5, offset: 0 })).toEqual({ items: [], total: 0 })
    }, 120_000)

    test('a transaction that returns an error rolls back its category writes', async () => {
      const r = await store.transact(async (tx) => {
        await tx.categories.insert({ name: 'Rolled back', parentId: null, description: null, now: tick() })
        return err('nope')
      })
      expect(r).toEqual(err('nope'))
      expect((await insert('Rolled back')).ok).toBe(true)
    })

    test('concurrent moves cannot build a cycle: A under B and B under A at once, one of each pair wins', async () => {
      const pairs = await Promise.all(
        Array.from({ length: 12 }, async (_, i) => [await make_(`Race A${i}`), await make_(`Race B${i}`)] as const),
      )
      const results = await Promise.all(
        pairs.flatMap(([a, b]) => [update(a, { parentId: b.id }), update(b, { parentId: a.id })]),
      )
      for (let i = 0; i < pairs.length; i++) {
        const [ra, rb] = [results[2 * i]!, results[2 * i + 1]!]
        expect([ra.ok, rb.ok].filter(Boolean).length).toBe(1)
        const failed = ra.ok ? rb : ra
        expect(!failed.ok && failed.error.type).toBe('CategoryCycle')
        const [a, b] = pairs[i]!
        const [la, lb] = [await store.categories.lineage(a.id), await store.categories.lineage(b.id)]
        expect(la.length + lb.length).toBe(3)
        for (const c of [...la, ...lb]) expect(c.level).toBe(c.parentId === null ? 0 : 1)
      }
    })

    test('concurrent inserts below a subtree being moved all end with the right level', async () => {
      const [top, mid] = await chain('busy', 2)
      const dest = await chain('deepdest', 5)
      const work = [
        update(mid!, { parentId: dest[4]!.id }),
        ...Array.from({ length: 8 }, (_, i) => insert(`leaf${i}`, mid!.id)),
      ]
      await Promise.all(work)
      const leaves = (await store.categories.list({ under: mid!.id }, PAGE)).items
      expect(leaves.length).toBe(8)
      for (const l of leaves) expect(l.level).toBe(6)
      expect((await store.categories.list({ under: top!.id }, PAGE)).total).toBe(0)
    })
  })
}

contract('memory', async () => memoryCatalogStore())
for (const db of await adapterDatabases('catalog', MIGRATIONS)) {
  contract(`postgres (${db.kind})`, async () => postgresCatalogStore(await db.open()))
}
