import { describe, expect, test } from 'bun:test'
import { err, ok } from '@shop/kernel/result'
import {
  type Caller,
  type Order,
  type OrderLine,
  canView,
  changeStatus,
  decideUpdate,
  deletable,
  mergeLines,
  newOrder,
  priceLines,
  sameStockLines,
  totals,
  unorderable,
} from '../src/domain/order.ts'
import { type ReplicaProduct, supersedes } from '../src/domain/product.ts'
import { type Reservation, onRejected, onReserved, releaseOnClose } from '../src/domain/reservation.ts'
import { type Actor, type OrderStatus, ORDER_STATUSES } from '../src/domain/status.ts'
import { stockLines } from '@shop/platform/testing/fixtures'

const owner: Caller = { id: 'owner-1', role: 'USER' }
const stranger: Caller = { id: 'someone-else', role: 'USER' }
const admin: Caller = { id: 'admin-1', role: 'ADMIN' }
const t0 = new Date(Date.UTC(2026, 0, 1))
const t1 = new Date(Date.UTC(2026, 0, 2))

const line = (productId: number, unitPrice: string, quantity: number, name = `p${productId}`): OrderLine => ({
  productId,
  name,
  unitPrice,
  quantity,
  lineTotal: (Number(unitPrice) * quantity).toFixed(2),
  sku: null,
})
/** The replica: product 1 now costs more than the snapshot the orders took; product 3 is deleted. */
const replica = new Map<number, ReplicaProduct>([
  [1, { id: 1, deleted: false, name: 'p1 renamed', price: '9.00', stock: 10, categoryId: 1, sku: null, version: 2 }],
  [2, { id: 2, deleted: false, name: 'p2', price: '4.00', stock: 10, categoryId: 1, sku: 'P-2', version: 1 }],
  [3, { id: 3, deleted: true, version: 3 }],
])
const order = (status: OrderStatus = 'pending', items: OrderLine[] = [line(1, '2.50', 2)]): Order => ({
  id: 7,
  ...newOrder({ userId: owner.id, items, shippingAddress: null, now: t0 }),
  status,
})

describe('status machine (every pair, every actor)', () => {
  // Written out independently of the status table, from the contract's status rules.
  const allowed = new Set([
    'pending>confirmed:system',
    'pending>rejected:system',
    'pending>cancelled:owner',
    'pending>cancelled:admin',
    'pending>cancelled:system',
    'confirmed>paid:admin',
    'confirmed>cancelled:owner',
    'confirmed>cancelled:admin',
    'confirmed>cancelled:system',
    'paid>shipped:admin',
    'paid>cancelled:owner',
    'paid>cancelled:admin',
    'paid>cancelled:system',
    'shipped>delivered:admin',
  ])
  const actors: Actor[] = ['owner', 'admin', 'system']
  for (const from of ORDER_STATUSES) {
    for (const to of ORDER_STATUSES) {
      const who = actors.filter((a) => allowed.has(`${from}>${to}:${a}`))
      test(`${from} → ${to}: ${who.length ? `only ${who.join(', ')}` : 'refused'}`, () => {
        for (const a of actors) {
          const r = changeStatus(order(from), to, [a], t1)
          if (who.includes(a)) {
            expect(r).toEqual(ok({ order: { ...order(from), status: to, updatedAt: t1 }, actor: a }))
          } else {
            expect(r).toEqual(err({ type: 'TransitionNotAllowed', from, to }))
          }
        }
      })
    }
  }
  test('a caller who is owner and admin cancels as owner, and pays as admin', () => {
    const both: Actor[] = ['owner', 'admin']
    const actorOf = (to: OrderStatus) => {
      const r = changeStatus(order('confirmed'), to, both, t1)
      return r.ok ? r.value.actor : r.error.type
    }
    expect(actorOf('cancelled')).toBe('owner')
    expect(actorOf('paid')).toBe('admin')
  })
})

describe('lines and totals', () => {
  test('0.10 × 3 is exactly 0.30; totals add up in cents', () => {
    const lines = priceLines([{ productId: 1, quantity: 3 }], new Map([[1, product(1, '0.10')]]))
    expect(lines[0]!.lineTotal).toBe('0.30')
    expect(totals(lines)).toEqual({ totalQuantity: 3, total: '0.30' })
    const many = priceLines(
      stockLines([1, 3], [2, 7], [3, 1]),
      new Map([
        [1, product(1, '0.10')],
        [2, product(2, '0.20')],
        [3, product(3, '19.99')],
      ]),
    )
    expect(many.map((l) => l.lineTotal)).toEqual(['0.30', '1.40', '19.99'])
    expect(totals(many)).toEqual({ totalQuantity: 11, total: '21.69' })
  })
  test('large amounts stay exact', () => {
    const lines = priceLines(
      stockLines([1, 1000], [2, 999]),
      new Map([
        [1, product(1, '9999999999.99')],
        [2, product(2, '0.01')],
      ]),
    )
    expect(lines[0]!.lineTotal).toBe('9999999999990.00')
    expect(totals(lines).total).toBe('9999999999999.99')
  })
  test('lines for one product are merged in first-appearance order', () => {
    expect(mergeLines(stockLines([5, 1], [3, 2], [5, 4]))).toEqual(ok(stockLines([5, 5], [3, 2])))
    expect(mergeLines(stockLines([1, 600], [1, 400]))).toEqual(ok([{ productId: 1, quantity: 1000 }]))
  })
  test('a merged quantity over 1000 is refused', () => {
    expect(mergeLines(stockLines([1, 600], [2, 1], [1, 401]))).toEqual(
      err({ type: 'QuantityOutOfRange', productId: 1, quantity: 1001 }),
    )
  })
  test('unknown and deleted products are listed, sorted', () => {
    const replica = new Map<number, ReplicaProduct>([
      [1, product(1, '1.00')],
      [4, { id: 4, deleted: true, version: 3 }],
    ])
    expect(unorderable(stockLines([9, 1], [1, 1], [4, 1]), replica)).toEqual([4, 9])
  })
  test('re-pricing keeps the snapshot (name, price, SKU) of products the order already had', () => {
    const before = [line(1, '1.00', 1, 'old name')]
    const replica = new Map([
      [1, product(1, '5.00')],
      [2, product(2, '2.00')],
    ])
    const after = priceLines(stockLines([1, 3], [2, 1]), replica, before)
    expect(after).toEqual([
      { productId: 1, name: 'old name', unitPrice: '1.00', quantity: 3, lineTotal: '3.00', sku: null },
      { productId: 2, name: 'p2', unitPrice: '2.00', quantity: 1, lineTotal: '2.00', sku: 'SKU-2' },
    ])
  })
  test('stock lines compare regardless of order', () => {
    expect(sameStockLines(stockLines([1, 2], [2, 1]), stockLines([2, 1], [1, 2]))).toBe(true)
    expect(sameStockLines([{ productId: 1, quantity: 2 }], [{ productId: 1, quantity: 3 }])).toBe(false)
    expect(sameStockLines([{ productId: 1, quantity: 2 }], stockLines([1, 2], [2, 1]))).toBe(false)
  })
})

describe('editing, viewing, deleting', () => {
  test('items and address change only while pending; a repeat of what is there is no edit', () => {
    const items = [line(1, '2.50', 3)]
    const r = decideUpdate(
      order('pending'),
      owner,
      { items: [{ productId: 1, quantity: 3 }], shippingAddress: 'Street 1' },
      replica,
      t1,
    )
    expect(r).toEqual(
      ok({
        kind: 'edited',
        itemsChanged: true,
        order: {
          ...order('pending'),
          items,
          totalQuantity: 3,
          total: '7.50',
          shippingAddress: 'Street 1',
          updatedAt: t1,
        },
      }),
    )
    for (const s of ORDER_STATUSES.filter((x) => x !== 'pending')) {
      expect(decideUpdate(order(s), owner, { shippingAddress: 'x' }, replica, t1)).toEqual(
        err({ type: 'NotEditable', status: s }),
      )
      const same = order(s)
      expect(
        decideUpdate(same, owner, { items: [{ productId: 1, quantity: 2 }], shippingAddress: null }, replica, t1),
      ).toEqual(ok({ kind: 'unchanged' }))
    }
  })
  /** Lines of product 2 (1) and product 1 (2): the order's lines in the other order. */
  const TWO_THEN_ONE = stockLines([2, 1], [1, 2])
  test(
    'an edit: new products priced from the replica, kept ones keep ' +
      'their snapshot; the address alone asks nothing of the catalog',
    () => {
      const r = decideUpdate(order('pending'), owner, { items: TWO_THEN_ONE }, replica, t1)
      expect(r).toEqual(
        ok({
          kind: 'edited',
          itemsChanged: true,
          order: { ...order('pending', [{ ...line(2, '4.00', 1), sku: 'P-2' }, line(1, '2.50', 2)]), updatedAt: t1 },
        }),
      )
      const moved = decideUpdate(order('pending'), owner, { shippingAddress: 'Elm St 2' }, new Map(), t1)
      expect(moved).toEqual(
        ok({
          kind: 'edited',
          itemsChanged: false,
          order: { ...order('pending'), shippingAddress: 'Elm St 2', updatedAt: t1 },
        }),
      )
    },
  )
  test('the same lines in another order are no edit', () => {
    const two = order('pending', [line(1, '2.50', 2), line(2, '4.00', 1)])
    expect(decideUpdate(two, owner, { items: TWO_THEN_ONE }, replica, t1)).toEqual(ok({ kind: 'unchanged' }))
  })
  test('unknown or deleted products are refused, but a late edit is 409 whatever it names', () => {
    const items = stockLines([9, 1], [3, 1])
    expect(decideUpdate(order('pending'), owner, { items }, replica, t1)).toEqual(
      err({ type: 'UnknownProducts', productIds: [3, 9] }),
    )
    expect(decideUpdate(order('paid'), owner, { items }, replica, t1)).toEqual(
      err({ type: 'NotEditable', status: 'paid' }),
    )
  })
  test('a status change: by the first allowed role; never with a real edit; along the table only', () => {
    expect(decideUpdate(order('pending'), owner, { status: 'cancelled' }, replica, t1)).toEqual(
      ok({ kind: 'moved', actor: 'owner', order: { ...order('cancelled'), updatedAt: t1 } }),
    )
    expect(decideUpdate(order('confirmed'), admin, { status: 'paid' }, replica, t1)).toEqual(
      ok({ kind: 'moved', actor: 'admin', order: { ...order('paid'), updatedAt: t1 } }),
    )
    const own = { ...order('pending'), userId: admin.id }
    expect(decideUpdate(own, admin, { status: 'cancelled' }, replica, t1)).toEqual(
      ok({ kind: 'moved', actor: 'owner', order: { ...own, status: 'cancelled', updatedAt: t1 } }),
    )
    expect(decideUpdate(order('pending'), owner, { status: 'cancelled', shippingAddress: 'x' }, replica, t1)).toEqual(
      err({ type: 'StatusWithEdits' }),
    )
    expect(
      decideUpdate(
        order('pending'),
        owner,
        { status: 'cancelled', items: [{ productId: 1, quantity: 5 }] },
        replica,
        t1,
      ),
    ).toEqual(err({ type: 'StatusWithEdits' }))
    // parts that repeat what is there do not count as edits
    const repeat = { status: 'cancelled' as const, items: [{ productId: 1, quantity: 2 }], shippingAddress: null }
    expect(decideUpdate(order('pending'), owner, repeat, replica, t1)).toEqual(
      ok({ kind: 'moved', actor: 'owner', order: { ...order('cancelled'), updatedAt: t1 } }),
    )
    expect(decideUpdate(order('pending'), admin, { status: 'paid' }, replica, t1)).toEqual(
      err({ type: 'TransitionNotAllowed', from: 'pending', to: 'paid' }),
    )
    expect(decideUpdate(order('shipped'), owner, { status: 'cancelled' }, replica, t1)).toEqual(
      err({ type: 'TransitionNotAllowed', from: 'shipped', to: 'cancelled' }),
    )
  })
  test(
    'a USER asking for any status but cancelled is refused, ' +
      'in every status of the order, with or without other parts',
    () => {
      for (const from of ORDER_STATUSES) {
        for (const to of ORDER_STATUSES.filter((s) => s !== 'cancelled')) {
          expect(decideUpdate(order(from), owner, { status: to }, replica, t1)).toEqual(
            err({ type: 'StatusChangeForbidden', status: to }),
          )
        }
      }
      // refused before anything else is looked at: an edit beside it, or what the order has, does not make it pass
      expect(decideUpdate(order('pending'), owner, { status: 'paid', shippingAddress: 'x' }, replica, t1)).toEqual(
        err({ type: 'StatusChangeForbidden', status: 'paid' }),
      )
      expect(
        decideUpdate(
          order('confirmed'),
          owner,
          { status: 'confirmed', items: [{ productId: 1, quantity: 2 }], shippingAddress: null },
          replica,
          t1,
        ),
      ).toEqual(err({ type: 'StatusChangeForbidden', status: 'confirmed' }))
      // a USER who does not own the order is refused the same way (the use case answers 404 before asking)
      expect(decideUpdate(order('pending'), stranger, { status: 'shipped' }, replica, t1)).toEqual(
        err({ type: 'StatusChangeForbidden', status: 'shipped' }),
      )
    },
  )
  test(
    "an admin sending items or shipping_address for someone else's order is refused, " + 'even with what the order has',
    () => {
      expect(decideUpdate(order('pending'), admin, { items: [{ productId: 2, quantity: 1 }] }, replica, t1)).toEqual(
        err({ type: 'EditForbidden', fields: ['items'] }),
      )
      expect(decideUpdate(order('pending'), admin, { shippingAddress: 'x' }, replica, t1)).toEqual(
        err({ type: 'EditForbidden', fields: ['shipping_address'] }),
      )
      expect(
        decideUpdate(
          order('pending'),
          admin,
          { items: [{ productId: 1, quantity: 2 }], shippingAddress: null },
          replica,
          t1,
        ),
      ).toEqual(err({ type: 'EditForbidden', fields: ['items', 'shipping_address'] }))
      expect(decideUpdate(order('confirmed'), admin, { status: 'paid', shippingAddress: null }, replica, t1)).toEqual(
        err({ type: 'EditForbidden', fields: ['shipping_address'] }),
      )
      // status alone is the admin's to send; on their own order an admin edits as its owner
      expect(decideUpdate(order('confirmed'), admin, { status: 'paid' }, replica, t1)).toEqual(
        ok({ kind: 'moved', actor: 'admin', order: { ...order('paid'), updatedAt: t1 } }),
      )
      const own = { ...order('pending'), userId: admin.id }
      expect(decideUpdate(own, admin, { shippingAddress: 'Admin St' }, replica, t1)).toEqual(
        ok({ kind: 'edited', itemsChanged: false, order: { ...own, shippingAddress: 'Admin St', updatedAt: t1 } }),
      )
      const ownConfirmed = { ...order('confirmed'), userId: admin.id }
      expect(decideUpdate(ownConfirmed, admin, { status: 'paid' }, replica, t1)).toEqual(
        ok({ kind: 'moved', actor: 'admin', order: { ...ownConfirmed, status: 'paid', updatedAt: t1 } }),
      )
    },
  )
  test('owner and admin see an order; nobody else', () => {
    expect(canView(order(), owner)).toBe(true)
    expect(canView(order(), admin)).toBe(true)
    expect(canView(order(), stranger)).toBe(false)
  })
  test('owner deletes while pending, cancelled or rejected; admin always', () => {
    for (const s of ORDER_STATUSES) {
      const ownerMay = ['pending', 'cancelled', 'rejected'].includes(s)
      expect(deletable(order(s), owner)).toEqual(ownerMay ? ok('owner') : err({ type: 'NotDeletable', status: s }))
      expect(deletable(order(s), admin)).toEqual(ok('admin'))
    }
  })
})

function product(id: number, price: string, version = 1): ReplicaProduct {
  return { id, deleted: false, name: `p${id}`, price, stock: 10, categoryId: 1, sku: `SKU-${id}`, version }
}

describe('product replica rule', () => {
  test('only a newer version supersedes; a tombstone is final', () => {
    expect(supersedes(undefined, product(1, '1.00', 3))).toBe(true)
    expect(supersedes(product(1, '1.00', 3), product(1, '2.00', 4))).toBe(true)
    expect(supersedes(product(1, '1.00', 3), product(1, '2.00', 3))).toBe(false)
    expect(supersedes(product(1, '1.00', 3), product(1, '2.00', 2))).toBe(false)
    expect(supersedes(product(1, '1.00', 3), { id: 1, deleted: true, version: 4 })).toBe(true)
    expect(supersedes(product(1, '1.00', 3), { id: 1, deleted: true, version: 3 })).toBe(false)
    expect(supersedes({ id: 1, deleted: true, version: 4 }, product(1, '1.00', 3))).toBe(false)
    expect(supersedes({ id: 1, deleted: true, version: 4 }, product(1, '1.00', 4))).toBe(false)
    expect(supersedes({ id: 1, deleted: true, version: 4 }, product(1, '1.00', 9))).toBe(false)
  })
})

describe('stock answers (one request in flight per order)', () => {
  const placed = [{ productId: 1, quantity: 2 }]
  const requested: Reservation = { orderId: 7, state: 'requested', items: placed }
  const reserved: Reservation = { orderId: 7, state: 'reserved', items: placed }
  const edited = { ...order('pending', [line(1, '2.50', 5)]) }

  test('reserved: confirm when the lines are as placed', () => {
    expect(onReserved(order('pending'), requested)).toEqual({ kind: 'confirm' })
  })
  test('reserved after an edit: release the old lines and place the current ones', () => {
    expect(onReserved(edited, requested)).toEqual({
      kind: 'replace',
      release: placed,
      place: [{ productId: 1, quantity: 5 }],
    })
  })
  test('reserved for a cancelled, rejected-meanwhile or deleted order: release', () => {
    expect(onReserved(order('cancelled'), requested)).toEqual({ kind: 'release', release: placed })
    expect(onReserved(undefined, requested)).toEqual({ kind: 'release', release: placed })
  })
  test('an answer with no request in flight is ignored', () => {
    expect(onReserved(order('confirmed'), reserved)).toEqual({ kind: 'ignore' })
    expect(onReserved(undefined, undefined)).toEqual({ kind: 'ignore' })
    expect(onReserved(order('cancelled'), undefined)).toEqual({ kind: 'ignore' })
    expect(onRejected(order('confirmed'), reserved)).toEqual({ kind: 'ignore' })
  })
  test('a pending order without a record counts as having placed its lines', () => {
    expect(onReserved(order('pending'), undefined)).toEqual({ kind: 'confirm' })
    expect(onRejected(order('pending'), undefined)).toEqual({ kind: 'reject' })
  })
  test('rejected: reject when as placed, place again after an edit, forget when the order is closed', () => {
    expect(onRejected(order('pending'), requested)).toEqual({ kind: 'reject' })
    expect(onRejected(edited, requested)).toEqual({ kind: 'replace', place: [{ productId: 1, quantity: 5 }] })
    expect(onRejected(order('cancelled'), requested)).toEqual({ kind: 'drop' })
    expect(onRejected(undefined, requested)).toEqual({ kind: 'drop' })
  })
  test('closing gives back only reserved stock', () => {
    expect(releaseOnClose(order('confirmed'), reserved)).toEqual(placed)
    expect(releaseOnClose(order('pending'), requested)).toBeNull()
    expect(releaseOnClose(order('confirmed'), undefined)).toEqual([{ productId: 1, quantity: 2 }])
    expect(releaseOnClose(order('shipped'), undefined)).toBeNull()
    expect(releaseOnClose(order('rejected'), undefined)).toBeNull()
  })
})
