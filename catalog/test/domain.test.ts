import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { type Category, changeCategory, levelUnder, wouldCycle } from '../src/domain/category.ts'
import { compareKeys, isValidDescription, isValidName, nameKey } from '../src/domain/name-key.ts'
import {
  type Product,
  changeProduct,
  isValidSku,
  isValidStock,
  productCreated,
  productDeleted,
  productUpdated,
} from '../src/domain/product.ts'
import { type Reservation, answerFor, hasShortage, mergeLines, rejection, shortage } from '../src/domain/stock.ts'
import { type CategoryNode, childrenIndex, depthFirst, lineageOf, nest, subtreeIds } from '../src/domain/tree.ts'
import { stockLines } from '@shop/platform/testing/fixtures'

const t0 = new Date(Date.UTC(2026, 0, 1))
const cat = (id: number, name: string, parentId: number | null, level = 0): Category => ({
  id,
  name,
  description: null,
  parentId,
  level,
  createdAt: t0,
  updatedAt: t0,
})

describe('names', () => {
  test('the key is case-insensitive for any script, and NFC-normalized', () => {
    expect(nameKey('Phones')).toBe(nameKey('PHONES'))
    expect(nameKey('Äpfel')).toBe(nameKey('äpfel'))
    expect(nameKey('Ωmega')).toBe(nameKey('ωMEGA'))
    expect(nameKey('e\u0301')).toBe(nameKey('\u00e9')) // decomposed and composed é
  })
  test('keys compare in code point order (as collation "C" does), astral characters included', () => {
    expect(compareKeys('a', 'b')).toBe(-1)
    expect(compareKeys('b', 'a')).toBe(1)
    expect(compareKeys('a', 'a')).toBe(0)
    expect(compareKeys('a', 'ab')).toBe(-1)
    // U+FF5E (a BMP char) is below U+1F600 (astral), though its UTF-16 code unit is above 0xD83D
    expect(compareKeys('\uff5e', '😀')).toBe(-1)
    expect('\uff5e' < '😀').toBe(false)
  })
  test('names are 1..200 characters without control characters; descriptions allow line breaks', () => {
    expect(isValidName('Phones & Tablets')).toBe(true)
    for (const bad of ['', 'x'.repeat(201), 'a\u0000b', 'a\nb', 'tab\there']) expect(isValidName(bad)).toBe(false)
    expect(isValidDescription('line one\nline two\tend\r\n')).toBe(true)
    expect(isValidDescription('nul\u0000')).toBe(false)
    expect(isValidDescription('x'.repeat(5001))).toBe(false)
  })
})

describe('category rules', () => {
  test('a root is level 0, a child its parent + 1', () => {
    expect(levelUnder(undefined)).toBe(0)
    expect(levelUnder({ level: 0 })).toBe(1)
    expect(levelUnder({ level: 41 })).toBe(42)
  })
  test('a move under itself or any descendant is a cycle; elsewhere it is not', () => {
    // lineage of the new parent: its ancestors root first, then itself
    expect(wouldCycle(5, 5, [1, 5])).toBe(true)
    expect(wouldCycle(2, 9, [1, 2, 7, 9])).toBe(true)
    expect(wouldCycle(2, 9, [1, 3, 9])).toBe(false)
    expect(wouldCycle(2, 1, [1])).toBe(false)
  })
  test('changes set updated_at; no change returns the same category', () => {
    const c = cat(1, 'A', null)
    expect(changeCategory(c, { name: 'A', description: null, parentId: null }, new Date())).toBe(c)
    const later = new Date(t0.getTime() + 1000)
    const moved = changeCategory(c, { parentId: 3 }, later)
    expect(moved).toMatchObject({ parentId: 3, updatedAt: later, createdAt: t0, name: 'A' })
    expect(changeCategory(c, { description: 'd' }, later).description).toBe('d')
  })
})

describe('tree walks', () => {
  //  1 Zeta            5 alpha
  //    2 beta            6 Gamma
  //      4 x
  //    3 Alpha
  const all = [
    cat(1, 'Zeta', null, 0),
    cat(2, 'beta', 1, 1),
    cat(3, 'Alpha', 1, 1),
    cat(4, 'x', 2, 2),
    cat(5, 'alpha', null, 0),
    cat(6, 'Gamma', 5, 1),
  ]
  const index = childrenIndex(all)
  test('depth-first: each parent before its subtree, siblings by name without case', () => {
    expect(depthFirst(index, index.get(null)!).map((c) => c.id)).toEqual([5, 6, 1, 3, 2, 4])
    expect(depthFirst(index, index.get(1)!).map((c) => c.id)).toEqual([3, 2, 4])
  })
  test('subtree ids include the root; lineage lists ancestors root first', () => {
    expect([...subtreeIds(index, 1)].sort()).toEqual([1, 2, 3, 4])
    expect([...subtreeIds(index, 4)]).toEqual([4])
    const byId = new Map(all.map((c) => [c.id, c]))
    expect(lineageOf(byId, 4).map((c) => c.id)).toEqual([1, 2, 4])
    expect(lineageOf(byId, 99)).toEqual([])
  })
  test('nest: top categories hold their children; a partial list nests per top category', () => {
    const tree = nest(depthFirst(index, index.get(null)!))
    expect(tree.map((n) => n.id)).toEqual([5, 1])
    expect(tree[1]!.children.map((n) => n.id)).toEqual([3, 2])
    expect(tree[1]!.children[1]!.children[0]!.children).toEqual([])
    expect(nest(depthFirst(index, index.get(1)!)).map((n) => n.id)).toEqual([3, 2])
  })
  test('no depth limit: a 20,000-deep chain walks without recursion', () => {
    const chain = Array.from({ length: 20_000 }, (_, i) => cat(i + 1, `c${i}`, i === 0 ? null : i, i))
    const idx = childrenIndex(chain)
    expect(depthFirst(idx, idx.get(null)!).length).toBe(20_000)
    expect(lineageOf(new Map(chain.map((c) => [c.id, c])), 20_000).length).toBe(20_000)
    expect(subtreeIds(idx, 1).size).toBe(20_000)
  })
  test(
    'property: depth-first lists every category once, ' + 'parents first, siblings in name order; nest is its inverse',
    () => {
      const forest = fc
        .array(fc.tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 4 })), { minLength: 1, maxLength: 60 })
        .map((specs) =>
          specs.map(
            ([p, name], i): Category => ({
              ...cat(i + 1, `${name}${i}`, i === 0 || p % (i + 1) === 0 ? null : (p % i) + 1),
            }),
          ),
        )
      fc.assert(
        fc.property(forest, (cats) => {
          const idx = childrenIndex(cats)
          const order = depthFirst(idx, idx.get(null) ?? [])
          expect(order.length).toBe(cats.length)
          const at = new Map(order.map((c, i) => [c.id, i]))
          for (const c of cats) if (c.parentId !== null) expect(at.get(c.parentId)!).toBeLessThan(at.get(c.id)!)
          for (const kids of idx.values())
            for (let i = 1; i < kids.length; i++)
              expect(compareKeys(nameKey(kids[i - 1]!.name), nameKey(kids[i]!.name))).toBeLessThanOrEqual(0)
          const flatten = (nodes: readonly CategoryNode[]): number[] =>
            nodes.flatMap((n) => [n.id, ...flatten(n.children)])
          expect(flatten(nest(order))).toEqual(order.map((c) => c.id))
        }),
        { numRuns: 200 },
      )
    },
  )
})

describe('product rules', () => {
  const p: Product = {
    id: 7,
    name: 'Phone',
    description: null,
    price: '19.90',
    stock: 3,
    categoryId: 2,
    sku: null,
    category: { id: 2, name: 'Phones', level: 1 },
    createdAt: t0,
    updatedAt: t0,
    version: 4,
  }
  test('a change bumps the version and updated_at; the same values (19.9 = 19.90) change nothing', () => {
    expect(
      changeProduct(p, { name: 'Phone', price: '19.90', stock: 3, categoryId: 2, description: null }, new Date()),
    ).toBe(p)
    const later = new Date(t0.getTime() + 5)
    const next = changeProduct(p, { stock: 0 }, later)
    expect(next).toMatchObject({ stock: 0, version: 5, updatedAt: later, createdAt: t0 })
    expect(changeProduct(p, { price: '20.00' }, later).price).toBe('20.00')
  })
  test(
    'a SKU: 1 to 64 ASCII letters, digits, dots, underscores or hyphens; set, changed and cleared like any ' + 'field',
    () => {
      for (const ok of ['A', 'ab-12.x_Y', 'x'.repeat(64)]) expect(isValidSku(ok)).toBe(true)
      for (const bad of ['', ' a', 'a b', 'é', 'a/b', 'x'.repeat(65), 'a\u0000']) expect(isValidSku(bad)).toBe(false)
      const later = new Date(t0.getTime() + 5)
      const set = changeProduct(p, { sku: 'P-1' }, later)
      expect(set).toMatchObject({ sku: 'P-1', version: 5 })
      expect(changeProduct(set, { sku: 'P-1' }, later)).toBe(set)
      expect(changeProduct(set, { name: 'Other' }, later).sku).toBe('P-1')
      expect(changeProduct(set, { sku: null }, later)).toMatchObject({ sku: null, version: 6 })
    },
  )
  test('stock is a whole number from 0 to 10^9', () => {
    for (const ok of [0, 1, 1_000_000_000]) expect(isValidStock(ok)).toBe(true)
    for (const bad of [-1, 1.5, 1_000_000_001, NaN, Infinity]) expect(isValidStock(bad)).toBe(false)
  })
  test('events carry exactly the fields of the contract; a deletion carries the next version', () => {
    const data = { id: 7, name: 'Phone', price: '19.90', stock: 3, category_id: 2, sku: null, version: 4 }
    expect(productCreated(p)).toEqual({ type: 'product.created', data })
    expect(productUpdated(p)).toEqual({ type: 'product.updated', data })
    expect(productDeleted(p)).toEqual({ type: 'product.deleted', data: { id: 7, version: 5 } })
  })
})

describe('stock rules', () => {
  test('lines merge per product, in product id order', () => {
    expect(mergeLines(stockLines([9, 1], [2, 3], [9, 4]))).toEqual(stockLines([2, 3], [9, 5]))
  })
  test('shortage names short and unknown products; the rejection reason says which kind', () => {
    const lines = stockLines([1, 2], [2, 5], [3, 1])
    const s = shortage(
      lines,
      new Map([
        [1, 2],
        [2, 4],
      ]),
    )
    expect(s).toEqual({ short: [2], unknown: [3] })
    expect(hasShortage(s)).toBe(true)
    expect(rejection(s)).toEqual({ reason: 'insufficient stock or unknown product', productIds: [2, 3] })
    expect(rejection({ short: [4, 1], unknown: [] })).toEqual({ reason: 'insufficient stock', productIds: [1, 4] })
    expect(rejection({ short: [], unknown: [8] }).reason).toBe('unknown product')
    expect(
      hasShortage(
        shortage(
          lines,
          new Map([
            [1, 2],
            [2, 5],
            [3, 1],
          ]),
        ),
      ),
    ).toBe(false)
  })
  test('a repeated order.placed gets the first answer; a released order gets none', () => {
    const r: Reservation = {
      orderId: 4,
      status: 'reserved',
      lines: [],
      reason: null,
      productIds: [],
      createdAt: t0,
      updatedAt: t0,
    }
    expect(answerFor(r)).toEqual({ type: 'stock.reserved', data: { order_id: 4 } })
    expect(answerFor({ ...r, status: 'rejected', reason: 'insufficient stock', productIds: [3] })).toEqual({
      type: 'stock.rejected',
      data: { order_id: 4, reason: 'insufficient stock', product_ids: [3] },
    })
    expect(answerFor({ ...r, status: 'released' })).toBeUndefined()
  })
})
