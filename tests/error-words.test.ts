import { describe, expect, test } from 'bun:test'
import { statusTitle } from '@shop/platform/http/problem'
import type { Reply } from '@shop/platform/testing/http'
import { buildAuth, buildCatalog, buildOrder, requester, tokens } from './security/support.ts'

/**
 * Our own words on every service: each validation message names its field and says what is
 * expected (never valibot's "Invalid key: Expected ... but received ..."), the same rule in the
 * same words everywhere, and the status line's reason phrase is the problem's `title`.
 */
const admin = { id: crypto.randomUUID(), username: 'root', role: 'ADMIN' as const }
const user = { id: crypto.randomUUID(), username: 'alice', role: 'USER' as const }

const auth = requester('auth', buildAuth().app)
const catalog = requester('catalog', buildCatalog().app)
const order = requester('order', buildOrder().app)

/** The `errors` of a 422, checked for our words; returned as path → message. */
function wordsOf(r: Reply): Record<string, string> {
  expect(r.status).toBe(422)
  expect(r.body.code).toBe('VALIDATION_FAILED')
  expect(r.body.title).toBe(statusTitle(422))
  expect(r.statusText).toBe(statusTitle(422))
  const out: Record<string, string> = {}
  for (const e of r.body.errors as { path: string; message: string }[]) {
    expect(e.message).not.toMatch(/Invalid (key|type|length|value)|Expected|received|fraction digits/)
    const field = e.path
      .split('.')
      .filter((s) => !/^\d+$/.test(s))
      .at(-1)
    if (field) expect(e.message).toContain(field)
    out[e.path] = e.message
  }
  return out
}

describe('validation messages name the field and say what is expected', () => {
  test('a missing field is "required", on every service', async () => {
    const a = wordsOf(
      await auth('POST', '/api/v1/auth/register', { body: { username: 'alice', email: 'a@example.com' } }),
    )
    expect(a).toEqual({ password: 'password is required' })
    const login = wordsOf(await auth('POST', '/api/v1/auth/login', { body: { username: 'alice' } }))
    expect(login).toEqual({ password: 'password is required' })
    const c = wordsOf(
      await catalog('POST', '/api/v1/product', {
        token: await tokens.valid(admin),
        body: { name: 'x', price: '1.00' },
      }),
    )
    expect(c).toEqual({ category_id: 'category_id is required' })
    const o = wordsOf(
      await order('POST', '/api/v1/order', { token: await tokens.valid(user), body: { items: [{ product_id: 1 }] } }),
    )
    expect(o).toEqual({ 'items.0.quantity': 'items.0.quantity is required' })
  })

  test('price: "abc" must be a decimal number with at most 2 decimal places', async () => {
    const token = await tokens.valid(admin)
    for (const price of ['abc', '1.234', -3, '12345678901', 0, { amount: 1 }]) {
      const w = wordsOf(await catalog('POST', '/api/v1/product', { token, body: { name: 'x', price, category_id: 1 } }))
      expect(w.price).toBe(
        'price must be a decimal number with at most 2 decimal places, greater than ' +
          '0 and at most 9999999999.99 (a JSON number or a string such as "12.50")',
      )
    }
    const q = wordsOf(await catalog('GET', '/api/v1/products?min_price=abc'))
    expect(q.min_price).toBe(
      'min_price must be a decimal number with at most 2 decimal places, from 0 to 9999999999.99',
    )
  })

  test('ranges are given in full: quantity 1..1000, limit 1..100, stock 0..10^9', async () => {
    const o = wordsOf(
      await order('POST', '/api/v1/order', {
        token: await tokens.valid(user),
        body: { items: [{ product_id: 1, quantity: 0 }] },
      }),
    )
    expect(o['items.0.quantity']).toBe('quantity must be an integer from 1 to 1000')
    for (const [svc, path] of [
      [catalog, '/api/v1/products'],
      [order, '/api/v1/orders'],
    ] as const) {
      const w = wordsOf(await svc('GET', `${path}?limit=500`, { token: await tokens.valid(admin) }))
      expect(w.limit).toBe('limit must be an integer from 1 to 100')
    }
    const s = wordsOf(
      await catalog('POST', '/api/v1/product', {
        token: await tokens.valid(admin),
        body: { name: 'x', price: '1.00', category_id: 1, stock: 'many' },
      }),
    )
    expect(s.stock).toBe('stock must be a whole number from 0 to 1000000000')
  })

  test('ids read the same in bodies, paths and query strings on catalog and order', async () => {
    const token = await tokens.valid(admin)
    const words = 'must be a positive integer of at most 15 digits'
    expect(
      wordsOf(await catalog('POST', '/api/v1/category', { token, body: { name: 'x', parent_id: 'one' } })).parent_id,
    ).toBe(`parent_id ${words}`)
    expect(
      wordsOf(await order('POST', '/api/v1/order', { token, body: { items: [{ product_id: -1, quantity: 1 }] } }))[
        'items.0.product_id'
      ],
    ).toBe(`product_id ${words}`)
    expect(wordsOf(await catalog('GET', '/api/v1/product/abc')).id).toBe(`id ${words}`)
    expect(wordsOf(await order('GET', '/api/v1/order/abc', { token })).id).toBe(`id ${words}`)
    expect(wordsOf(await catalog('GET', '/api/v1/products?category_id=1&category_id=2')).category_id).toBe(
      'category_id must be given once',
    )
  })

  test('a wrong JSON type, a body that is not an object, an unknown choice', async () => {
    expect(
      wordsOf(
        await auth('POST', '/api/v1/auth/register', {
          body: { username: 'alice', email: 'a@example.com', password: 12345678 },
        }),
      ).password,
    ).toBe('password must be a string')
    expect(
      wordsOf(
        await auth('POST', '/api/v1/auth/register', {
          raw: '"alice"',
          headers: { 'Content-Type': 'application/json' },
        }),
      )[''],
    ).toBe('the request body must be a JSON object')
    expect(wordsOf(await catalog('GET', '/api/v1/products?sort=cheap')).sort).toStartWith('sort must be one of id, ')
    expect(
      wordsOf(await order('GET', '/api/v1/orders?status=lost', { token: await tokens.valid(user) })).status,
    ).toStartWith('status must be one of pending, confirmed')
  })
})

describe('the status line and the title agree', () => {
  test('on every problem status, through a real server (Bun writes the reason phrase)', async () => {
    const { app } = buildCatalog({ bodyLimit: 1024 })
    const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (req) => app.fetch(req) })
    try {
      const url = `http://127.0.0.1:${server.port}`
      const cases: [string, RequestInit, number][] = [
        ['/api/v1/product/abc', {}, 422],
        ['/api/v1/product/1', {}, 404],
        ['/api/v1/product', { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } }, 401],
        ['/api/v1/product', { method: 'POST', body: 'x', headers: { 'Content-Type': 'text/plain' } }, 401],
        ['/api/v1/products', { method: 'PATCH' }, 405],
        [
          '/api/v1/product',
          { method: 'POST', body: 'x'.repeat(2048), headers: { 'Content-Type': 'application/json' } },
          413,
        ],
      ]
      for (const [path, init, status] of cases) {
        const res = await fetch(url + path, init)
        const body = (await res.json()) as { title: string }
        expect(res.status).toBe(status)
        expect(body.title).toBe(statusTitle(status))
        expect(res.statusText).toBe(body.title)
      }
    } finally {
      server.stop(true)
    }
  })
})

describe('/verify with no token says the token is missing', () => {
  test('401 TOKEN_MISSING, not "invalid"', async () => {
    const r = await auth('POST', '/api/v1/auth/verify')
    expect(r.status).toBe(401)
    expect(r.body.code).toBe('TOKEN_MISSING')
    expect(r.body.detail).not.toContain('invalid')
    expect(r.statusText).toBe('Unauthorized')
  })
})
