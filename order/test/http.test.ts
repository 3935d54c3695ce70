import { describe, expect, test } from 'bun:test'
import { silentLogger } from '@shop/platform/log'
import { call, withBodyRouteStatuses } from '@shop/platform/testing/http'
import { orderHttp } from '../src/adapters/http/routes.ts'
import { memoryOrderStore } from '../src/adapters/memory/store.ts'
import { orderApplication } from '../src/app/application.ts'
import { expectProblem } from '@shop/platform/testing/problem'
import { SECRET, applyProduct, deleteProduct, envelope, orderItems, orderTestApp, steppingClock } from './support.ts'

const ORDER_KEYS = [
  'created_at',
  'id',
  'items',
  'shipping_address',
  'status',
  'total',
  'total_quantity',
  'updated_at',
  'user_id',
]

describe('POST /api/v1/order', () => {
  test(
    '201: a pending order with snapshots, exact totals, merged ' +
      'lines, a Location; order.placed with the request id',
    async () => {
      const t = orderTestApp()
      const u = await t.user()
      const a = await t.product({ name: 'Pen', price: '0.10', sku: 'PEN-01' })
      const b = await t.product({ name: 'Book', price: '12.50' })
      const r = await t.req('POST', '/api/v1/order', {
        token: u.token,
        headers: { 'X-Request-Id': 'req-42' },
        body: {
          items: orderItems([a.id, 2], [b.id, 2], [a.id, 1]),
          shipping_address: '  1 Main St  ',
        },
      })
      expect(r.status).toBe(201)
      expect(Object.keys(r.body).sort()).toEqual(ORDER_KEYS)
      expect(r.body).toMatchObject({
        user_id: u.id,
        status: 'pending',
        total_quantity: 5,
        total: '25.30',
        shipping_address: '1 Main St',
      })
      expect(r.body.items).toEqual([
        { product_id: a.id, name: 'Pen', unit_price: '0.10', quantity: 3, line_total: '0.30', sku: 'PEN-01' },
        { product_id: b.id, name: 'Book', unit_price: '12.50', quantity: 2, line_total: '25.00', sku: null },
      ])
      expect(r.body.created_at).toBe(r.body.updated_at)
      expect(r.headers.get('Location')).toBe(`/api/v1/order/${r.body.id}`)
      const placed = t.published.at(-1)!
      expect(placed).toMatchObject({ type: 'order.placed', source: 'order', correlation_id: 'req-42' })
      expect(placed.data).toEqual({
        order_id: r.body.id,
        user_id: u.id,
        items: orderItems([a.id, 3], [b.id, 2]),
      })
    },
  )

  test('shipping_address is optional and nullable', async () => {
    const t = orderTestApp()
    const u = await t.user()
    const p = await t.product()
    expect((await t.order(u.token, [{ product_id: p.id, quantity: 1 }])).shipping_address).toBeNull()
    expect(
      (await t.order(u.token, [{ product_id: p.id, quantity: 1 }], { shipping_address: null })).shipping_address,
    ).toBeNull()
    expect(
      (await t.order(u.token, [{ product_id: p.id, quantity: 1 }], { shipping_address: 'x'.repeat(1000) }))
        .shipping_address,
    ).toHaveLength(1000)
  })

  test('mass assignment: user_id, status, total, prices, names and ids in the body change nothing', async () => {
    const t = orderTestApp()
    const u = await t.user()
    const p = await t.product({ price: '5.00', name: 'Real' })
    const r = await t.req('POST', '/api/v1/order', {
      token: u.token,
      body: {
        id: 999,
        user_id: crypto.randomUUID(),
        status: 'delivered',
        total: '0.01',
        total_quantity: 1000,
        created_at: '2000-01-01T00:00:00Z',
        items: [{ product_id: p.id, quantity: 2, unit_price: '0.01', name: 'Fake', line_total: '0.02', sku: 'FAKE' }],
      },
    })
    expect(r.status).toBe(201)
    expect(r.body).toMatchObject({ user_id: u.id, status: 'pending', total: '10.00', total_quantity: 2 })
    expect(r.body.id).not.toBe(999)
    expect(r.body.items[0]).toEqual({
      product_id: p.id,
      name: 'Real',
      unit_price: '5.00',
      quantity: 2,
      line_total: '10.00',
      sku: null,
    })
  })

  test('a later catalog change does not alter the order', async () => {
    const t = orderTestApp()
    const u = await t.user()
    const p = await t.product({ price: '5.00', name: 'Old' })
    const o = await t.order(u.token, [{ product_id: p.id, quantity: 1 }])
    await applyProduct(t.orders, envelope('product.updated', { ...p, name: 'New', price: '7.00', version: 2 }))
    const back = await t.req('GET', `/api/v1/order/${o.id}`, { token: u.token })
    expect(back.body.items[0]).toMatchObject({ name: 'Old', unit_price: '5.00' })
  })

  test('422: empty or missing items, quantities outside 1..1000, over 100 lines, bad ids, bad address', async () => {
    const t = orderTestApp()
    const u = await t.user()
    const p = await t.product()
    const bad: [unknown, string][] = [
      [{ items: [] }, 'items'],
      [{}, 'items'],
      [{ items: 'x' }, 'items'],
      [{ items: [{ product_id: p.id, quantity: 0 }] }, 'items.0.quantity'],
      [{ items: [{ product_id: p.id, quantity: 1001 }] }, 'items.0.quantity'],
      [{ items: [{ product_id: p.id, quantity: -1 }] }, 'items.0.quantity'],
      [{ items: [{ product_id: p.id, quantity: 1.5 }] }, 'items.0.quantity'],
      [{ items: [{ product_id: p.id, quantity: '2' }] }, 'items.0.quantity'],
      [{ items: [{ product_id: p.id }] }, 'items.0.quantity'],
      [{ items: [{ product_id: 0, quantity: 1 }] }, 'items.0.product_id'],
      [{ items: [{ product_id: '1', quantity: 1 }] }, 'items.0.product_id'],
      [{ items: [{ product_id: p.id, quantity: 1 }, 'x'] }, 'items.1'],
      [{ items: Array.from({ length: 101 }, () => ({ product_id: p.id, quantity: 1 })) }, 'items'],
      [{ items: [{ product_id: p.id, quantity: 1 }], shipping_address: 'x'.repeat(1001) }, 'shipping_address'],
      [{ items: [{ product_id: p.id, quantity: 1 }], shipping_address: '   ' }, 'shipping_address'],
      [{ items: [{ product_id: p.id, quantity: 1 }], shipping_address: 5 }, 'shipping_address'],
    ]
    for (const [body, path] of bad) {
      const r = await t.req('POST', '/api/v1/order', { token: u.token, body })
      expectProblem(r, 422, 'VALIDATION_FAILED')
      expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(path)
    }
    for (const raw of ['[]', 'null', '"x"'])
      expectProblem(
        await t.req('POST', '/api/v1/order', { token: u.token, raw, headers: { 'Content-Type': 'application/json' } }),
        422,
      )
    expect(t.published.filter((e) => e.type === 'order.placed')).toHaveLength(0)
  })

  test('422 when merged lines of one product exceed 1000; exactly 1000 and 100 lines are fine', async () => {
    const t = orderTestApp()
    const u = await t.user()
    const p = await t.product()
    const over = await t.req('POST', '/api/v1/order', {
      token: u.token,
      body: {
        items: orderItems([p.id, 600], [p.id, 401]),
      },
    })
    expectProblem(over, 422, 'VALIDATION_FAILED')
    expect(over.body.errors[0].path).toBe('items')
    expect(over.body.errors[0].message).toContain(`product ${p.id}`)
    expect(
      (
        await t.order(u.token, [
          { product_id: p.id, quantity: 600 },
          { product_id: p.id, quantity: 400 },
        ])
      ).total_quantity,
    ).toBe(1000)
    const many = await Promise.all(Array.from({ length: 100 }, () => t.product({ price: '0.01' })))
    const big = await t.order(
      u.token,
      many.map((m) => ({ product_id: m.id, quantity: 1 })),
    )
    expect(big.items).toHaveLength(100)
    expect(big.total).toBe('1.00')
  })

  test('422 listing unknown and deleted products', async () => {
    const t = orderTestApp()
    const u = await t.user()
    const known = await t.product()
    const gone = await t.product()
    await deleteProduct(t.orders, gone.id)
    const r = await t.req('POST', '/api/v1/order', {
      token: u.token,
      body: {
        items: orderItems([987654, 1], [known.id, 1], [gone.id, 2]),
      },
    })
    expectProblem(r, 422, 'UNKNOWN_PRODUCTS')
    expect(r.body.product_ids).toEqual([gone.id, 987654])
    expect(r.body.errors).toEqual([{ path: 'items', message: `unknown or deleted products: ${gone.id}, 987654` }])
    expect((await t.req('GET', '/api/v1/orders', { token: u.token })).body).toEqual([])
  })

  test('401 without a valid token; 400 malformed JSON; 413 over the limit', async () => {
    const t = orderTestApp({ bodyLimit: 2000 })
    const u = await t.user()
    const r = await t.req('POST', '/api/v1/order', { body: { items: [] } })
    expectProblem(r, 401, 'UNAUTHENTICATED')
    expect(r.headers.get('WWW-Authenticate')).toBe('Bearer')
    expectProblem(await t.req('POST', '/api/v1/order', { token: 'garbage', body: { items: [] } }), 401, 'TOKEN_INVALID')
    expectProblem(
      await t.req('POST', '/api/v1/order', {
        token: u.token,
        raw: '{"items": [',
        headers: { 'Content-Type': 'application/json' },
      }),
      400,
      'MALFORMED_JSON',
    )
    expectProblem(
      await t.req('POST', '/api/v1/order', { token: u.token, body: { items: [], pad: 'x'.repeat(3000) } }),
      413,
      'BODY_TOO_LARGE',
    )
  })
})

describe('Idempotency-Key', () => {
  const body = (id: number, quantity = 1) => ({ items: [{ product_id: id, quantity }], shipping_address: 'A' })
  /** POST /api/v1/order as `token`'s user with an Idempotency-Key. */
  const keyed = (t: ReturnType<typeof orderTestApp>, token: string, key: string, b: unknown) =>
    t.req('POST', '/api/v1/order', { token, body: b, headers: { 'Idempotency-Key': key } })

  test('a repeat with the same key and body returns the first order (201) and creates nothing', async () => {
    const t = orderTestApp()
    const u = await t.user()
    const p = await t.product()
    const first = await keyed(t, u.token, 'key-1', body(p.id))
    expect(first.status).toBe(201)
    expect(first.headers.get('Idempotent-Replayed')).toBeNull()
    // same body with keys in another order and an ignored field: still the same request
    const again = await keyed(t, u.token, 'key-1', {
      shipping_address: 'A',
      note: 'ignored',
      items: [{ quantity: 1, product_id: p.id }],
    })
    expect(again.status).toBe(201)
    expect(again.headers.get('Idempotent-Replayed')).toBe('true')
    expect(again.body).toEqual(first.body)
    expect(again.headers.get('Location')).toBe(first.headers.get('Location'))
    expect((await t.req('GET', '/api/v1/orders', { token: u.token })).body).toHaveLength(1)
    expect(t.published.filter((e) => e.type === 'order.placed')).toHaveLength(1)
  })

  test('the replay shows the order as it is now', async () => {
    const t = orderTestApp()
    const u = await t.user()
    const p = await t.product()
    const first = await keyed(t, u.token, 'k', body(p.id))
    await t.reserve(first.body.id)
    const again = await keyed(t, u.token, 'k', body(p.id))
    expect(again.body.status).toBe('confirmed')
    expect(again.body.id).toBe(first.body.id)
  })

  test('the same key with another body is 422', async () => {
    const t = orderTestApp()
    const u = await t.user()
    const p = await t.product()
    await keyed(t, u.token, 'key-2', body(p.id))
    for (const other of [body(p.id, 2), { items: [{ product_id: p.id, quantity: 1 }] }]) {
      const r = await keyed(t, u.token, 'key-2', other)
      expectProblem(r, 422, 'IDEMPOTENCY_KEY_REUSED')
      expect(r.body.errors[0].path).toBe('Idempotency-Key')
    }
    expect((await t.req('GET', '/api/v1/orders', { token: u.token })).body).toHaveLength(1)
  })

  test('keys are per user', async () => {
    const t = orderTestApp()
    const [u, v] = [await t.user(), await t.user()]
    const p = await t.product()
    const a = await keyed(t, u.token, 'shared', body(p.id))
    const b = await keyed(t, v.token, 'shared', body(p.id))
    expect(a.status).toBe(201)
    expect(b.status).toBe(201)
    expect(b.body.id).not.toBe(a.body.id)
    expect(b.body.user_id).toBe(v.id)
    // and another user's body with that key is no conflict either
    expect((await keyed(t, v.token, 'other', body(p.id, 7))).status).toBe(201)
  })

  test('concurrent repeats create one order', async () => {
    const t = orderTestApp()
    const u = await t.user()
    const p = await t.product()
    const rs = await Promise.all(Array.from({ length: 10 }, () => keyed(t, u.token, 'burst', body(p.id))))
    expect(rs.map((r) => r.status)).toEqual(Array(10).fill(201))
    expect(new Set(rs.map((r) => r.body.id)).size).toBe(1)
    expect(rs.filter((r) => r.headers.get('Idempotent-Replayed') === null)).toHaveLength(1)
    expect((await t.req('GET', '/api/v1/orders', { token: u.token })).headers.get('X-Total-Count')).toBe('1')
  })

  test('1..255 characters, else 422; a failed request stores no key', async () => {
    const t = orderTestApp()
    const u = await t.user()
    const p = await t.product()
    for (const key of ['', 'k'.repeat(256)]) {
      const r = await keyed(t, u.token, key, body(p.id))
      expectProblem(r, 422, 'VALIDATION_FAILED')
      expect(r.body.errors[0].path).toBe('Idempotency-Key')
    }
    expect((await keyed(t, u.token, 'k'.repeat(255), body(p.id))).status).toBe(201)
    const failed = await keyed(t, u.token, 'retry-me', body(31337))
    expectProblem(failed, 422, 'UNKNOWN_PRODUCTS')
    expect((await keyed(t, u.token, 'retry-me', body(p.id))).status).toBe(201)
  })

  test('a repeat after the first order was deleted is 409', async () => {
    const t = orderTestApp()
    const u = await t.user()
    const p = await t.product()
    const first = await keyed(t, u.token, 'gone', body(p.id))
    expect((await t.req('DELETE', `/api/v1/delete_order/${first.body.id}`, { token: u.token })).status).toBe(204)
    expectProblem(await keyed(t, u.token, 'gone', body(p.id)), 409, 'IDEMPOTENT_ORDER_DELETED')
  })
})

describe('GET /api/v1/order/{id} and its history', () => {
  test('owner and admin see it; another user gets 404, as for a missing order', async () => {
    const t = orderTestApp()
    const [u, v, admin] = [await t.user(), await t.user(), await t.user('ADMIN')]
    const p = await t.product()
    const o = await t.order(u.token, [{ product_id: p.id, quantity: 1 }])
    const mine = await t.req('GET', `/api/v1/order/${o.id}`, { token: u.token })
    expect(mine.status).toBe(200)
    expect(mine.body).toEqual(o)
    expect((await t.req('GET', `/api/v1/order/${o.id}`, { token: admin.token })).body).toEqual(o)
    const theirs = await t.req('GET', `/api/v1/order/${o.id}`, { token: v.token })
    expectProblem(theirs, 404, 'ORDER_NOT_FOUND')
    const missing = await t.req('GET', '/api/v1/order/999999', { token: v.token })
    expectProblem(missing, 404, 'ORDER_NOT_FOUND')
    expect(theirs.body.detail).toBe(`order ${o.id} not found`)
    for (const id of ['abc', '0', '-1', '1.5'])
      expectProblem(await t.req('GET', `/api/v1/order/${id}`, { token: u.token }), 422)
    expectProblem(await t.req('GET', `/api/v1/order/${o.id}`), 401)
  })

  test('history: every status change, by whom; 404 for others', async () => {
    const t = orderTestApp()
    const [u, v, admin] = [await t.user(), await t.user(), await t.user('ADMIN')]
    const p = await t.product()
    const o = await t.order(u.token, [{ product_id: p.id, quantity: 1 }])
    await t.reserve(o.id)
    await t.req('PUT', `/api/v1/update_order/${o.id}`, { token: admin.token, body: { status: 'paid' } })
    await t.req('PUT', `/api/v1/update_order/${o.id}`, { token: u.token, body: { status: 'cancelled' } })
    const h = await t.req('GET', `/api/v1/order/${o.id}/history`, { token: u.token })
    expect(h.status).toBe(200)
    expect(h.body.map((e: any) => [e.from, e.to, e.actor, e.changed_by])).toEqual([
      [null, 'pending', 'owner', u.id],
      ['pending', 'confirmed', 'system', 'system'],
      ['confirmed', 'paid', 'admin', admin.id],
      ['paid', 'cancelled', 'owner', u.id],
    ])
    expect(Object.keys(h.body[0]).sort()).toEqual([
      'actor',
      'changed_at',
      'changed_by',
      'from',
      'product_ids',
      'reason',
      'to',
    ])
    expect((await t.req('GET', `/api/v1/order/${o.id}/history`, { token: admin.token })).status).toBe(200)
    expectProblem(await t.req('GET', `/api/v1/order/${o.id}/history`, { token: v.token }), 404, 'ORDER_NOT_FOUND')
    expectProblem(await t.req('GET', '/api/v1/order/999999/history', { token: u.token }), 404)
    const r = await t.order(u.token, [{ product_id: p.id, quantity: 1 }])
    await t.reject(r.id, [p.id], 'insufficient stock')
    const rejected = (await t.req('GET', `/api/v1/order/${r.id}/history`, { token: u.token })).body.at(-1)
    expect(rejected).toMatchObject({
      from: 'pending',
      to: 'rejected',
      actor: 'system',
      reason: 'insufficient stock',
      product_ids: [p.id],
    })
  })
})

describe('GET /api/v1/orders', () => {
  async function world() {
    const t = orderTestApp()
    const [u, v, admin] = [await t.user(), await t.user(), await t.user('ADMIN')]
    const p = await t.product()
    const line = [{ product_id: p.id, quantity: 1 }]
    const us = [await t.order(u.token, line), await t.order(u.token, line), await t.order(u.token, line)]
    const vs = [await t.order(v.token, line), await t.order(v.token, line)]
    await t.reserve(us[1].id)
    await t.reserve(vs[0].id)
    return { t, u, v, admin, us, vs }
  }
  const ids = (r: { body: { id: number }[] }) => r.body.map((o) => o.id)

  test('a user sees only their own, newest first; an admin sees all', async () => {
    const { t, u, admin, us, vs } = await world()
    const mine = await t.req('GET', '/api/v1/orders', { token: u.token })
    expect(mine.status).toBe(200)
    expect(ids(mine)).toEqual([us[2].id, us[1].id, us[0].id])
    expect(mine.headers.get('X-Total-Count')).toBe('3')
    const all = await t.req('GET', '/api/v1/orders', { token: admin.token })
    expect(ids(all)).toEqual([vs[1].id, vs[0].id, us[2].id, us[1].id, us[0].id])
  })

  test('status and user_id filters', async () => {
    const { t, u, v, admin, us, vs } = await world()
    expect(ids(await t.req('GET', '/api/v1/orders?status=confirmed', { token: u.token }))).toEqual([us[1].id])
    expect(ids(await t.req('GET', '/api/v1/orders?status=confirmed', { token: admin.token }))).toEqual([
      vs[0].id,
      us[1].id,
    ])
    expect(ids(await t.req('GET', `/api/v1/orders?user_id=${v.id}`, { token: admin.token }))).toEqual([
      vs[1].id,
      vs[0].id,
    ])
    expect(
      ids(await t.req('GET', `/api/v1/orders?user_id=${v.id.toUpperCase()}&status=pending`, { token: admin.token })),
    ).toEqual([vs[1].id])
    // a USER's user_id only narrows their own list
    const other = await t.req('GET', `/api/v1/orders?user_id=${v.id}`, { token: u.token })
    expect(other.body).toEqual([])
    expect(other.headers.get('X-Total-Count')).toBe('0')
    expect(ids(await t.req('GET', `/api/v1/orders?user_id=${u.id}`, { token: u.token }))).toEqual([
      us[2].id,
      us[1].id,
      us[0].id,
    ])
  })

  test('pagination: limit, offset, X-Total-Count and Link', async () => {
    const { t, admin, us, vs } = await world()
    const r = await t.req('GET', '/api/v1/orders?limit=2&offset=1', { token: admin.token })
    expect(ids(r)).toEqual([vs[0].id, us[2].id])
    expect(r.headers.get('X-Total-Count')).toBe('5')
    expect(r.headers.get('Link')).toBe(
      '</api/v1/orders?limit=2&offset=3>; rel="next", </api/v1/orders?limit=2&offset=0>; rel="prev"',
    )
    const last = await t.req('GET', '/api/v1/orders?limit=2&offset=4&status=pending', { token: admin.token })
    expect(last.body).toEqual([])
    expect(last.headers.get('X-Total-Count')).toBe('3')
    expect(last.headers.get('Link')).toContain('rel="prev"')
    expect(last.headers.get('Link')).not.toContain('rel="next"')
    expect((await t.req('GET', '/api/v1/orders', { token: admin.token })).headers.get('Link')).toBeNull()
  })

  test('422 for bad limits, statuses and user ids; 401 without a token', async () => {
    const { t, u, admin } = await world()
    for (const q of [
      'limit=101',
      'limit=0',
      'offset=-1',
      'limit=abc',
      'status=shipping',
      'status=pending&status=paid',
      'user_id=not-a-uuid',
    ]) {
      expectProblem(await t.req('GET', `/api/v1/orders?${q}`, { token: admin.token }), 422, 'VALIDATION_FAILED')
    }
    expectProblem(await t.req('GET', '/api/v1/orders?status=nope', { token: u.token }), 422)
    expectProblem(await t.req('GET', '/api/v1/orders'), 401)
  })
})

describe('PUT /api/v1/update_order/{id}', () => {
  async function setup() {
    const t = orderTestApp()
    const [u, v, admin] = [await t.user(), await t.user(), await t.user('ADMIN')]
    const a = await t.product({ price: '2.00', name: 'A', sku: 'A-1' })
    const b = await t.product({ price: '3.00', name: 'B', sku: 'B-1' })
    const o = await t.order(u.token, [{ product_id: a.id, quantity: 1 }], { shipping_address: 'Old St' })
    const put = (token: string, body: unknown, id = o.id) => t.req('PUT', `/api/v1/update_order/${id}`, { token, body })
    return { t, u, v, admin, a, b, o, put }
  }

  test('the owner edits items (merged, re-totalled) and the shipping address while pending', async () => {
    const { t, u, a, b, o, put } = await setup()
    await applyProduct(t.orders, envelope('product.updated', { ...a, price: '9.00', sku: 'A-2', version: 2 }))
    const r = await put(u.token, {
      items: orderItems([a.id, 2], [b.id, 1], [a.id, 1]),
      shipping_address: 'New St',
    })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({
      id: o.id,
      status: 'pending',
      total_quantity: 4,
      total: '9.00',
      shipping_address: 'New St',
    })
    // A keeps its snapshot price and SKU; B is new to the order and snapshotted now
    expect(r.body.items).toEqual([
      { product_id: a.id, name: 'A', unit_price: '2.00', quantity: 3, line_total: '6.00', sku: 'A-1' },
      { product_id: b.id, name: 'B', unit_price: '3.00', quantity: 1, line_total: '3.00', sku: 'B-1' },
    ])
    expect(r.body.updated_at > o.updated_at).toBe(true)
    expect((await put(u.token, { shipping_address: null })).body.shipping_address).toBeNull()
    expect((await t.req('GET', `/api/v1/order/${o.id}`, { token: u.token })).body.total).toBe('9.00')
  })

  /**
   * The order as its owner sees it, its history, and the events published so far: what a refused request must leave as
   * it was.
   */
  async function state(t: ReturnType<typeof orderTestApp>, token: string, id: number) {
    const order = (await t.req('GET', `/api/v1/order/${id}`, { token })).body
    const history = (await t.req('GET', `/api/v1/order/${id}/history`, { token })).body
    return { order, history, published: t.published.length }
  }

  test(
    'the owner cancels; any other status from a USER ' + 'is 403 STATUS_CHANGE_FORBIDDEN and changes nothing',
    async () => {
      const { t, u, a, o, put } = await setup()
      const o2 = await t.order(u.token, [{ product_id: a.id, quantity: 1 }])
      await t.reserve(o2.id)
      for (const target of [o, o2]) {
        const before = await state(t, u.token, target.id)
        for (const status of ['paid', 'shipped', 'delivered', 'confirmed', 'rejected', 'pending']) {
          const r = await put(u.token, { status }, target.id)
          expectProblem(r, 403, 'STATUS_CHANGE_FORBIDDEN')
          expect(r.body.to).toBe(status)
          expect(r.body.detail).toContain(status)
          // with an edit beside it, the whole request is refused: the edit is not applied either
          expectProblem(
            await put(u.token, { status, shipping_address: 'Sneaky St' }, target.id),
            403,
            'STATUS_CHANGE_FORBIDDEN',
          )
        }
        expect(await state(t, u.token, target.id)).toEqual(before)
      }
      const c = await put(u.token, { status: 'cancelled' })
      expect(c.status).toBe(200)
      expect(c.body.status).toBe('cancelled')
      expectProblem(await put(u.token, { status: 'cancelled' }), 409, 'TRANSITION_NOT_ALLOWED')
      expect((await put(u.token, { status: 'cancelled' }, o2.id)).body.status).toBe('cancelled')
    },
  )

  test('the admin moves confirmed → paid → shipped → delivered; anything else is 409', async () => {
    const { t, admin, o, put } = await setup()
    expectProblem(await put(admin.token, { status: 'confirmed' }), 409, 'TRANSITION_NOT_ALLOWED')
    expectProblem(await put(admin.token, { status: 'rejected' }), 409, 'TRANSITION_NOT_ALLOWED')
    expectProblem(await put(admin.token, { status: 'paid' }), 409)
    await t.reserve(o.id)
    const skip = await put(admin.token, { status: 'delivered' })
    expectProblem(skip, 409, 'TRANSITION_NOT_ALLOWED')
    expect(skip.body).toMatchObject({ from: 'confirmed', to: 'delivered' })
    for (const status of ['paid', 'shipped', 'delivered'])
      expect((await put(admin.token, { status })).body.status).toBe(status)
    for (const status of ['delivered', 'cancelled', 'pending', 'shipped'])
      expectProblem(await put(admin.token, { status }), 409, 'TRANSITION_NOT_ALLOWED')
  })

  test('the admin cancels pending, confirmed and paid orders', async () => {
    const { t, u, admin, a, put } = await setup()
    const line = [{ product_id: a.id, quantity: 1 }]
    const [p1, p2, p3] = [await t.order(u.token, line), await t.order(u.token, line), await t.order(u.token, line)]
    await t.reserve(p2.id)
    await t.reserve(p3.id)
    await put(admin.token, { status: 'paid' }, p3.id)
    for (const o of [p1, p2, p3])
      expect((await put(admin.token, { status: 'cancelled' }, o.id)).body.status).toBe('cancelled')
    expect(
      t.published.filter((e) => e.type === 'order.cancelled').map((e) => (e.data as { order_id: number }).order_id),
    ).toEqual([p2.id, p3.id])
  })

  test(
    '409 when the owner edits items or address of an order ' +
      'that is no longer pending; a PUT of what is there is 200',
    async () => {
      const { t, u, b, o, put } = await setup()
      await t.reserve(o.id)
      expectProblem(await put(u.token, { items: [{ product_id: b.id, quantity: 1 }] }), 409, 'ORDER_NOT_EDITABLE')
      expectProblem(await put(u.token, { shipping_address: 'Elsewhere' }), 409, 'ORDER_NOT_EDITABLE')
      // the representation sent back, as a client might: what the order has changes nothing and is not refused...
      const current = (await t.req('GET', `/api/v1/order/${o.id}`, { token: u.token })).body
      const { status: _, ...editable } = current
      const same = await put(u.token, editable)
      expect(same.status).toBe(200)
      expect(same.body).toEqual(current)
      // ...but a status is the owner's to send only as "cancelled", even the one the order has
      expectProblem(await put(u.token, { ...current, status: 'confirmed' }), 403, 'STATUS_CHANGE_FORBIDDEN')
      const cancelled = await put(u.token, { ...current, status: 'cancelled' })
      expect(cancelled.status).toBe(200)
      expect(cancelled.body.status).toBe('cancelled')
      expect(t.published.at(-1)).toMatchObject({ type: 'order.cancelled' })
    },
  )

  test(
    'mass assignment: user_id, total and unit_price do nothing; ' + 'an admin-only status refuses the whole request',
    async () => {
      const { t, u, a, o, put } = await setup()
      const r = await put(u.token, {
        user_id: crypto.randomUUID(),
        total: '0.01',
        items: [{ product_id: a.id, quantity: 2, unit_price: '0.01' }],
      })
      expect(r.status).toBe(200)
      expect(r.body).toMatchObject({ user_id: u.id, total: '4.00', status: 'pending' })
      expect(r.body.items[0].unit_price).toBe('2.00')
      expect((await t.req('GET', `/api/v1/order/${o.id}`, { token: u.token })).body.user_id).toBe(u.id)
      const before = await state(t, u.token, o.id)
      expectProblem(
        await put(u.token, { status: 'delivered', items: [{ product_id: a.id, quantity: 5 }] }),
        403,
        'STATUS_CHANGE_FORBIDDEN',
      )
      expect(await state(t, u.token, o.id)).toEqual(before)
    },
  )

  test(
    "an admin's items or shipping_address on someone else's order: " + '403 ORDER_EDIT_FORBIDDEN, nothing changes',
    async () => {
      const { t, u, admin, a, b, o, put } = await setup()
      const before = await state(t, u.token, o.id)
      const bodies: [unknown, string[]][] = [
        [{ items: [{ product_id: b.id, quantity: 9 }] }, ['items']],
        [{ shipping_address: 'Admin St' }, ['shipping_address']],
        [{ items: [{ product_id: b.id, quantity: 9 }], shipping_address: 'Admin St' }, ['items', 'shipping_address']],
        // even what the order has, and even beside a status the admin may set
        [{ items: [{ product_id: a.id, quantity: 1 }], shipping_address: 'Old St' }, ['items', 'shipping_address']],
        [{ status: 'cancelled', shipping_address: null }, ['shipping_address']],
      ]
      for (const [body, fields] of bodies) {
        const r = await put(admin.token, body)
        expectProblem(r, 403, 'ORDER_EDIT_FORBIDDEN')
        expect(r.body.fields).toEqual(fields)
      }
      expect(await state(t, u.token, o.id)).toEqual(before)
      // status alone is the admin's; on their own order an admin edits as its owner
      expect((await put(admin.token, { status: 'cancelled' })).body.status).toBe('cancelled')
      const own = await t.order(admin.token, [{ product_id: a.id, quantity: 1 }])
      const edited = await put(
        admin.token,
        { items: [{ product_id: b.id, quantity: 2 }], shipping_address: 'Admin St' },
        own.id,
      )
      expect(edited.status).toBe(200)
      expect(edited.body).toMatchObject({ total: '6.00', shipping_address: 'Admin St' })
    },
  )

  test("404 for another user's order and for a missing one", async () => {
    const { v, o, put } = await setup()
    expectProblem(await put(v.token, { status: 'cancelled' }), 404, 'ORDER_NOT_FOUND')
    expectProblem(await put(v.token, { shipping_address: 'mine now' }), 404, 'ORDER_NOT_FOUND')
    expectProblem(await put(v.token, { status: 'cancelled' }, 999999), 404, 'ORDER_NOT_FOUND')
    expect(o.status).toBe('pending')
  })

  test('422: empty body, unknown status, bad items, unknown products, status with edits', async () => {
    const { t, u, a, put } = await setup()
    const bad: [unknown, string, string][] = [
      [{}, '', 'VALIDATION_FAILED'],
      [{ note: 'x' }, '', 'VALIDATION_FAILED'],
      [{ status: 'archived' }, 'status', 'VALIDATION_FAILED'],
      [{ items: [] }, 'items', 'VALIDATION_FAILED'],
      [{ items: [{ product_id: a.id, quantity: 1001 }] }, 'items.0.quantity', 'VALIDATION_FAILED'],
      [
        {
          items: orderItems([a.id, 500], [a.id, 501]),
        },
        'items',
        'VALIDATION_FAILED',
      ],
      [{ shipping_address: 'x'.repeat(1001) }, 'shipping_address', 'VALIDATION_FAILED'],
      [{ status: 'cancelled', shipping_address: 'x' }, 'status', 'VALIDATION_FAILED'],
      [{ items: [{ product_id: 55555, quantity: 1 }] }, 'items', 'UNKNOWN_PRODUCTS'],
    ]
    for (const [body, path, code] of bad) {
      const r = await put(u.token, body)
      expectProblem(r, 422, code)
      expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(path)
    }
    expect((await put(u.token, { items: [{ product_id: 55555, quantity: 1 }] })).body.product_ids).toEqual([55555])
    expectProblem(
      await t.req('PUT', '/api/v1/update_order/abc', { token: u.token, body: { status: 'cancelled' } }),
      422,
    )
    expectProblem(await put('', { status: 'cancelled' }), 401)
  })

  test('editing items while pending emits nothing until the catalog answers (see the stock rule)', async () => {
    const { t, u, b, o, put } = await setup()
    const before = t.published.length
    expect((await put(u.token, { items: [{ product_id: b.id, quantity: 2 }] })).status).toBe(200)
    expect(t.published.length).toBe(before)
    await t.reserve(o.id)
    expect(t.published.slice(before).map((e) => [e.type, (e.data as any).items])).toEqual([
      ['order.cancelled', [{ product_id: o.items[0].product_id, quantity: 1 }]],
      ['order.placed', [{ product_id: b.id, quantity: 2 }]],
    ])
    expect((await t.req('GET', `/api/v1/order/${o.id}`, { token: u.token })).body.status).toBe('pending')
  })
})

describe('DELETE /api/v1/delete_order/{id}', () => {
  async function setup() {
    const t = orderTestApp()
    const [u, v, admin] = [await t.user(), await t.user(), await t.user('ADMIN')]
    const p = await t.product()
    const make = async (status: string) => {
      const o = await t.order(u.token, [{ product_id: p.id, quantity: 1 }])
      if (status === 'rejected') await t.reject(o.id)
      if (status === 'cancelled')
        await t.req('PUT', `/api/v1/update_order/${o.id}`, { token: u.token, body: { status: 'cancelled' } })
      if (['confirmed', 'paid', 'shipped', 'delivered'].includes(status)) await t.reserve(o.id)
      for (const s of ['paid', 'shipped', 'delivered']) {
        if (
          status === s ||
          (s === 'paid' && ['shipped', 'delivered'].includes(status)) ||
          (s === 'shipped' && status === 'delivered')
        ) {
          await t.req('PUT', `/api/v1/update_order/${o.id}`, { token: admin.token, body: { status: s } })
        }
      }
      const back = await t.req('GET', `/api/v1/order/${o.id}`, { token: u.token })
      expect(back.body.status).toBe(status)
      return o.id as number
    }
    const del = (token: string, id: number) => t.req('DELETE', `/api/v1/delete_order/${id}`, { token })
    return { t, u, v, admin, make, del }
  }

  test('the owner deletes pending, cancelled and rejected orders (204, then 404)', async () => {
    const { t, u, make, del } = await setup()
    for (const status of ['pending', 'cancelled', 'rejected']) {
      const id = await make(status)
      const r = await del(u.token, id)
      expect(r.status).toBe(204)
      expect(r.text).toBe('')
      expectProblem(await t.req('GET', `/api/v1/order/${id}`, { token: u.token }), 404)
      expectProblem(await del(u.token, id), 404, 'ORDER_NOT_FOUND')
    }
  })

  test('409 for the owner once the order is confirmed, paid, shipped or delivered; the admin deletes any', async () => {
    const { u, admin, make, del } = await setup()
    for (const status of ['confirmed', 'paid', 'shipped', 'delivered']) {
      const id = await make(status)
      const r = await del(u.token, id)
      expectProblem(r, 409, 'ORDER_NOT_DELETABLE')
      expect(r.body.current_status).toBe(status)
      expect((await del(admin.token, id)).status).toBe(204)
    }
    expect((await del(admin.token, await make('pending'))).status).toBe(204)
  })

  test("404 for another user's order and a missing one; 401 without a token", async () => {
    const { t, v, make, del } = await setup()
    const id = await make('pending')
    expectProblem(await del(v.token, id), 404, 'ORDER_NOT_FOUND')
    expectProblem(await del(v.token, 999999), 404, 'ORDER_NOT_FOUND')
    expectProblem(await t.req('DELETE', `/api/v1/delete_order/${id}`), 401)
  })
})

describe('tokens and the user replica', () => {
  test('with a lookup, a deleted user is 401 and the current role applies', async () => {
    const store = memoryOrderStore()
    const orders = orderApplication({ store, clock: steppingClock() })
    const known = new Map<string, { deleted: true } | { deleted: false; role: 'USER' | 'ADMIN'; username: string }>()
    const app = orderHttp({
      application: orders,
      secret: SECRET,
      lookup: async (id) => known.get(id),
      service: 'order',
      log: silentLogger,
      bodyLimit: 1 << 20,
      ready: {},
    })
    const t = orderTestApp()
    const [gone, promoted] = [await t.user(), await t.user()]
    known.set(gone.id, { deleted: true })
    known.set(promoted.id, { deleted: false, role: 'ADMIN', username: promoted.username })
    expectProblem(await call(app, 'GET', '/api/v1/orders', { token: gone.token }), 401)
    // promoted after the token was issued: sees everyone's orders (an empty list, but with admin filters)
    const r = await call(app, 'GET', `/api/v1/orders?user_id=${crypto.randomUUID()}`, { token: promoted.token })
    expect(r.status).toBe(200)
  })
})

describe('conventions', () => {
  test('openapi: every route, the history extension, the Idempotency-Key header and the errors', async () => {
    const t = orderTestApp()
    const doc = (await t.req('GET', '/openapi.json')).body
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/v1/delete_order/{id}',
      '/api/v1/order',
      '/api/v1/order/{id}',
      '/api/v1/order/{id}/history',
      '/api/v1/orders',
      '/api/v1/update_order/{id}',
      '/health',
      '/health/live',
      '/health/ready',
      '/health/serving',
    ])
    const create = doc.paths['/api/v1/order'].post
    expect(create.parameters.find((p: any) => p.name === 'Idempotency-Key')).toMatchObject({
      in: 'header',
      required: false,
    })
    expect(Object.keys(create.responses).sort()).toEqual(withBodyRouteStatuses(201, 409))
    expect(doc.paths['/api/v1/update_order/{id}'].put.description).toContain('at most one reservation request')
    const update = doc.paths['/api/v1/update_order/{id}'].put
    expect(Object.keys(update.responses)).toEqual(expect.arrayContaining(['200', '403', '404', '409', '422']))
    expect(update.responses['403'].description).toContain('STATUS_CHANGE_FORBIDDEN')
    expect(update.responses['403'].description).toContain('ORDER_EDIT_FORBIDDEN')
    expect(doc.paths['/api/v1/order/{id}/history'].get.summary).toContain('extension')
    expect(Object.keys(doc.paths['/api/v1/delete_order/{id}'].delete.responses)).toEqual(
      expect.arrayContaining(['204', '404', '409']),
    )
    expect(doc.paths['/api/v1/orders'].get.parameters.map((p: any) => p.name).sort()).toEqual([
      'limit',
      'offset',
      'status',
      'user_id',
    ])
    expect((await t.req('GET', '/docs')).status).toBe(200)
  })
  test('health, 404/405 in problem+json, trailing slashes, request ids', async () => {
    const t = orderTestApp()
    const u = await t.user()
    expect((await t.req('GET', '/health')).body).toEqual({ status: 'ok' })
    expect((await t.req('GET', '/health/live')).body).toEqual({ status: 'ok' })
    expectProblem(await t.req('GET', '/api/v1/nope'), 404, 'NOT_FOUND')
    const r = await t.req('PATCH', '/api/v1/update_order/1', { token: u.token })
    expectProblem(r, 405, 'METHOD_NOT_ALLOWED')
    expect(r.headers.get('Allow')).toContain('PUT')
    expect((await t.req('GET', '/api/v1/orders/', { token: u.token })).status).toBe(200)
    expect(
      (await t.req('GET', '/api/v1/orders', { token: u.token, headers: { 'X-Request-Id': 'abc-1' } })).headers.get(
        'X-Request-Id',
      ),
    ).toBe('abc-1')
  })
})
