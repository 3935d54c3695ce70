import { beforeAll, describe, expect, test } from 'bun:test'
import type { Envelope } from '@shop/kernel/events'
import { adapterDatabases } from '@shop/platform/testing/databases'
import { MIGRATIONS } from '../src/main.ts'
import { memoryCatalogStore } from '../src/adapters/memory/store.ts'
import { postgresCatalogStore } from '../src/adapters/postgres/store.ts'
import type { CatalogStore } from '../src/ports.ts'
import { ADMIN, catalogTestApp, expectAdminOnly, expectSortsBothWays } from './support.ts'
import { expectReply, expectServiceRoutes, withBodyRouteStatuses } from '@shop/platform/testing/http'
import { expectProblem } from '@shop/platform/testing/problem'

const PRODUCT_KEYS = [
  'category',
  'category_id',
  'created_at',
  'description',
  'id',
  'name',
  'price',
  'sku',
  'stock',
  'updated_at',
]

describe('POST /api/v1/product', () => {
  const t = catalogTestApp()
  test(
    '201 with the product and its category; ' + 'price as a 2-decimal string; stock defaults to 0; Location',
    async () => {
      const root = await t.category('Electronics')
      const phones = await t.category('Phones', root.id)
      const r = await t.admin('POST', '/api/v1/product', {
        name: ' Phone X ',
        price: 1999.9,
        category_id: phones.id,
        description: 'Shiny',
      })
      expectReply(r, 201, {
        name: 'Phone X',
        price: '1999.90',
        stock: 0,
        category_id: phones.id,
        category: { id: phones.id, name: 'Phones', level: 1 },
        description: 'Shiny',
      })
      expect(Object.keys(r.body).sort()).toEqual(PRODUCT_KEYS)
      expect(r.text).toContain('"price":"1999.90"')
      expect(r.headers.get('Location')).toBe(`/api/v1/product/${r.body.id}`)
      for (const [price, shown] of [
        ['1999.9', '1999.90'],
        [5, '5.00'],
        ['0.01', '0.01'],
        ['9999999999.99', '9999999999.99'],
        [' 12.5 ', '12.50'],
      ] as const) {
        expect(
          (await t.admin('POST', '/api/v1/product', { name: `p ${price}`, price, category_id: phones.id, stock: 2 }))
            .body,
        ).toMatchObject({ price: shown, stock: 2 })
      }
    },
  )
  test('mass assignment: id, version, timestamps and a made-up category are ignored', async () => {
    const c = await t.category('Mass')
    const r = await t.admin('POST', '/api/v1/product', {
      name: 'Sneaky',
      price: '1.00',
      category_id: c.id,
      id: 1,
      version: 99,
      created_at: '2000-01-01T00:00:00Z',
      updated_at: '2000-01-01T00:00:00Z',
      category: { id: 5, name: 'Fake', level: 9 },
    })
    expect(r.status).toBe(201)
    expect(r.body.category).toEqual({ id: c.id, name: 'Mass', level: 0 })
    expect(r.body.created_at.startsWith('2000')).toBe(false)
    const event = t.published.at(-1)!
    expect(event.data).toMatchObject({ id: r.body.id, version: 1 })
  })
  test('422 for an unknown category, naming the field', async () => {
    const r = await t.admin('POST', '/api/v1/product', { name: 'Lost', price: '1.00', category_id: 999_999 })
    expectProblem(r, 422, 'UNKNOWN_CATEGORY')
    expect(r.body.errors).toEqual([{ path: 'category_id', message: 'category 999999 does not exist' }])
  })
  test('422 with per-field errors for invalid bodies', async () => {
    const c = await t.category('Invalid')
    const ok = { name: 'ok', price: '1.00', category_id: c.id }
    const bad: [unknown, string][] = [
      [{ ...ok, name: undefined }, 'name'],
      [{ ...ok, name: '' }, 'name'],
      [{ ...ok, price: undefined }, 'price'],
      [{ ...ok, price: 0 }, 'price'],
      [{ ...ok, price: '0.00' }, 'price'],
      [{ ...ok, price: -5 }, 'price'],
      [{ ...ok, price: '1.999' }, 'price'],
      [{ ...ok, price: 'abc' }, 'price'],
      [{ ...ok, price: 1e10 }, 'price'],
      [{ ...ok, price: true }, 'price'],
      [{ ...ok, price: null }, 'price'],
      [{ ...ok, category_id: undefined }, 'category_id'],
      [{ ...ok, category_id: String(c.id) }, 'category_id'],
      [{ ...ok, category_id: 0 }, 'category_id'],
      [{ ...ok, stock: -1 }, 'stock'],
      [{ ...ok, stock: 1.5 }, 'stock'],
      [{ ...ok, stock: '3' }, 'stock'],
      [{ ...ok, stock: 1_000_000_001 }, 'stock'],
      [{ ...ok, description: ['x'] }, 'description'],
    ]
    for (const [body, path] of bad) {
      const r = await t.admin('POST', '/api/v1/product', body)
      expectProblem(r, 422, 'VALIDATION_FAILED')
      expect(r.body.errors.map((e: any) => e.path)).toEqual([path])
    }
    const many = await t.admin('POST', '/api/v1/product', {})
    expect(many.body.errors.map((e: any) => e.path).sort()).toEqual(['category_id', 'name', 'price'])
  })
  test('401/403', async () => {
    const c = await t.category('Auth')
    await expectAdminOnly(t, 'POST', '/api/v1/product', { name: 'x', price: 1, category_id: c.id })
  })
})

/** Listing and search, through HTTP and the real SQL as well as memory: hostile input must be harmless everywhere. */
function listing(name: string, makeStore: () => Promise<CatalogStore>) {
  describe(`GET /api/v1/products (${name})`, () => {
    let t: ReturnType<typeof catalogTestApp>
    const ids: Record<string, number> = {}
    const names = (r: { body: any }) => r.body.map((p: any) => p.name)
    beforeAll(async () => {
      t = catalogTestApp({ store: await makeStore() })
      const food = await t.category('Food')
      const bakery = await t.category('Bakery', food.id)
      const cakes = await t.category('Cakes', bakery.id)
      const drinks = await t.category('Drinks')
      ids.food = food.id
      ids.bakery = bakery.id
      ids.cakes = cakes.id
      ids.drinks = drinks.id
      await t.product('Apple', food.id, { price: '0.50', stock: 100, description: 'crisp and RED' })
      await t.product('bread', bakery.id, { price: '2.20', stock: 0 })
      await t.product('Cheesecake', cakes.id, { price: '15.00', stock: 3, description: 'New York style' })
      await t.product('100% juice_mix \\ pure', drinks.id, {
        price: '3.10',
        stock: 12,
        description: `O'Hara's "finest"`,
      })
      await t.product('1000 juiceXmix', drinks.id, { price: '3.10', stock: 0 })
      await t.product('Café crème 🍰', cakes.id, { price: '4.75', stock: 1 })
    })

    test('200: every product with its category, ordered by id, with X-Total-Count', async () => {
      const r = await t.req('GET', '/api/v1/products')
      expect(r.status).toBe(200)
      expect(names(r)).toEqual([
        'Apple',
        'bread',
        'Cheesecake',
        '100% juice_mix \\ pure',
        '1000 juiceXmix',
        'Café crème 🍰',
      ])
      expect(r.headers.get('X-Total-Count')).toBe('6')
      expect(r.body[2].category).toEqual({ id: ids.cakes, name: 'Cakes', level: 2 })
      expect(r.body[2].price).toBe('15.00')
    })
    test('category_id includes the whole subtree; unknown matches nothing', async () => {
      expect(names(await t.req('GET', `/api/v1/products?category_id=${ids.food}`))).toEqual([
        'Apple',
        'bread',
        'Cheesecake',
        'Café crème 🍰',
      ])
      expect(names(await t.req('GET', `/api/v1/products?category_id=${ids.bakery}`))).toEqual([
        'bread',
        'Cheesecake',
        'Café crème 🍰',
      ])
      expect((await t.req('GET', '/api/v1/products?category_id=424242')).body).toEqual([])
    })
    test('min_price, max_price (inclusive), in_stock', async () => {
      expect(names(await t.req('GET', '/api/v1/products?min_price=3.1&max_price=4.75'))).toEqual([
        '100% juice_mix \\ pure',
        '1000 juiceXmix',
        'Café crème 🍰',
      ])
      expect(names(await t.req('GET', '/api/v1/products?min_price=0&max_price=0.5'))).toEqual(['Apple'])
      expect(names(await t.req('GET', `/api/v1/products?in_stock=true&category_id=${ids.food}`))).toEqual([
        'Apple',
        'Cheesecake',
        'Café crème 🍰',
      ])
      expect(names(await t.req('GET', '/api/v1/products?in_stock=false'))).toEqual(['bread', '1000 juiceXmix'])
    })
    test('q: case-insensitive in name and description', async () => {
      expect(names(await t.req('GET', '/api/v1/products?q=CHEESE'))).toEqual(['Cheesecake'])
      expect(names(await t.req('GET', '/api/v1/products?q=york%20STYLE'))).toEqual(['Cheesecake'])
      expect(names(await t.req('GET', '/api/v1/products?q=red'))).toEqual(['Apple'])
      expect(names(await t.req('GET', '/api/v1/products?q=EAD'))).toEqual(['bread'])
      expect(names(await t.req('GET', '/api/v1/products?q=%20%20apple%20'))).toEqual(['Apple'])
      expect(names(await t.req('GET', `/api/v1/products?q=${encodeURIComponent('crème 🍰')}`))).toEqual([
        'Café crème 🍰',
      ])
    })
    test('q: hostile input is taken literally and is harmless', async () => {
      const search = async (q: string) => {
        const r = await t.req('GET', `/api/v1/products?q=${encodeURIComponent(q)}`)
        expect(r.status).toBe(200)
        return names(r)
      }
      expect(await search('%')).toEqual(['100% juice_mix \\ pure'])
      expect(await search('_')).toEqual(['100% juice_mix \\ pure'])
      expect(await search('juice_mix')).toEqual(['100% juice_mix \\ pure'])
      expect(await search('\\')).toEqual(['100% juice_mix \\ pure'])
      expect(await search('\\%')).toEqual([])
      expect(await search("o'hara's")).toEqual(['100% juice_mix \\ pure'])
      expect(await search('"finest"')).toEqual(['100% juice_mix \\ pure'])
      for (const hostile of [
        "'; drop table products; --",
        "' or '1'='1",
        '"; select pg_sleep(5); --',
        '$1',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the text `${q}` itself, a hostile search
        '${q}',
        '%%%',
        '__',
        '\\\\',
        '[a-z]',
        '.*',
        'ʼ',
        'ﾟ･✿ヾ╲(｡◕‿◕｡)╱✿･ﾟ',
        'x'.repeat(1000),
      ]) {
        expect(await search(hostile)).toEqual([])
      }
      // malformed percent-encoding (a lone surrogate, invalid UTF-8) reaches the search as text, never as a 500
      for (const raw of ['%ED%A0%BD', '%FF%FE', '%', '%zz', '%E2%82']) {
        const r = await t.req('GET', `/api/v1/products?q=${raw}`)
        expect([200, 422]).toContain(r.status)
      }
      // still all there
      expect((await t.req('GET', '/api/v1/products')).headers.get('X-Total-Count')).toBe('6')
      // 1001 characters, control characters, a repeated q: 422, never a 500
      expectProblem(await t.req('GET', `/api/v1/products?q=${'x'.repeat(1001)}`), 422)
      expectProblem(await t.req('GET', '/api/v1/products?q=a%00b'), 422)
      expectProblem(await t.req('GET', '/api/v1/products?q=a%0Ab'), 422)
      expectProblem(await t.req('GET', '/api/v1/products?q=a&q=b'), 422)
    })
    test('sort: each key, ties by id, descending is the exact reverse', async () => {
      const sorted = async (s: string) =>
        names(await t.req('GET', `/api/v1/products?sort=${s}&category_id=${ids.food}`))
      await expectSortsBothWays(sorted, {
        name: ['Apple', 'bread', 'Café crème 🍰', 'Cheesecake'],
        price: ['Apple', 'bread', 'Café crème 🍰', 'Cheesecake'],
        created_at: ['Apple', 'bread', 'Cheesecake', 'Café crème 🍰'],
      })
      expect(names(await t.req('GET', '/api/v1/products?sort=price&category_id=' + ids.drinks))).toEqual([
        '100% juice_mix \\ pure',
        '1000 juiceXmix',
      ])
      expect(names(await t.req('GET', '/api/v1/products?sort=-price&category_id=' + ids.drinks))).toEqual([
        '1000 juiceXmix',
        '100% juice_mix \\ pure',
      ])
    })
    test('pagination headers keep the filters in the links', async () => {
      const r = await t.req('GET', `/api/v1/products?category_id=${ids.food}&sort=price&limit=2&offset=1`)
      expect(names(r)).toEqual(['bread', 'Café crème 🍰'])
      expect(r.headers.get('X-Total-Count')).toBe('4')
      const link = r.headers.get('Link')!
      expect(link).toContain(`</api/v1/products?category_id=${ids.food}&sort=price&limit=2&offset=3>; rel="next"`)
      expect(link).toContain(`offset=0>; rel="prev"`)
      const past = await t.req('GET', '/api/v1/products?offset=50')
      expect(past.body).toEqual([])
      expect(past.headers.get('X-Total-Count')).toBe('6')
    })
    test('422 for bad query values, with the field named', async () => {
      const cases: [string, string][] = [
        ['limit=101', 'limit'],
        ['limit=0', 'limit'],
        ['offset=-1', 'offset'],
        ['category_id=abc', 'category_id'],
        ['category_id=0', 'category_id'],
        ['min_price=abc', 'min_price'],
        ['min_price=-1', 'min_price'],
        ['max_price=1.234', 'max_price'],
        ['min_price=5&max_price=4.99', 'max_price'],
        ['in_stock=maybe', 'in_stock'],
        ['sort=price;drop', 'sort'],
        ['sort=stock', 'sort'],
      ]
      for (const [q, path] of cases) {
        const r = await t.req('GET', `/api/v1/products?${q}`)
        expectProblem(r, 422, 'VALIDATION_FAILED')
        expect(r.body.errors.map((e: any) => e.path)).toEqual([path])
      }
    })
    test(
      'GET /api/v1/products_with_category/{id}: the subtree by ' +
        'default, its own with include_subcategories=false; 404; 422',
      async () => {
        const r = await t.req('GET', `/api/v1/products_with_category/${ids.food}`)
        expect(r.status).toBe(200)
        expect(names(r)).toEqual(['Apple', 'bread', 'Cheesecake', 'Café crème 🍰'])
        expect(r.body.map((p: any) => p.category.level)).toEqual([0, 1, 2, 2])
        expect(r.headers.get('X-Total-Count')).toBe('4')
        expect(
          names(await t.req('GET', `/api/v1/products_with_category/${ids.food}?include_subcategories=false`)),
        ).toEqual(['Apple'])
        expect(
          names(
            await t.req(
              'GET',
              `/api/v1/products_with_category/${ids.bakery}?include_subcategories=true&limit=1&offset=1`,
            ),
          ),
        ).toEqual(['Cheesecake'])
        expectProblem(await t.req('GET', '/api/v1/products_with_category/999999'), 404, 'CATEGORY_NOT_FOUND')
        expectProblem(await t.req('GET', `/api/v1/products_with_category/${ids.food}?include_subcategories=nope`), 422)
        expectProblem(await t.req('GET', '/api/v1/products_with_category/abc'), 422)
        expectProblem(await t.req('GET', `/api/v1/products_with_category/${ids.food}?limit=500`), 422)
      },
    )
  })
}

listing('memory', async () => memoryCatalogStore())
for (const db of await adapterDatabases('catalog', MIGRATIONS))
  listing(`postgres ${db.kind}`, async () => postgresCatalogStore(await db.open()))

describe('GET /api/v1/product/{id}', () => {
  const t = catalogTestApp()
  test('200; 404; 422', async () => {
    const c = await t.category('One')
    const p = await t.product('Only', c.id, { price: 7 })
    const r = await t.req('GET', `/api/v1/product/${p.id}`)
    expect(r.status).toBe(200)
    expect(r.body).toEqual(p)
    expectProblem(await t.req('GET', '/api/v1/product/424242'), 404, 'PRODUCT_NOT_FOUND')
    expectProblem(await t.req('GET', '/api/v1/product/abc'), 422)
  })
})

describe('PUT /api/v1/product/{id}', () => {
  const t = catalogTestApp()
  test('200: any of the fields; money normalized; id, version and timestamps ignored', async () => {
    const a = await t.category('Put A')
    const b = await t.category('Put B', a.id)
    const p = await t.product('Before', a.id, { price: '1.00', stock: 1 })
    const r = await t.admin('PUT', `/api/v1/product/${p.id}`, {
      name: 'After',
      description: 'now',
      price: '20.5',
      stock: 9,
      category_id: b.id,
      id: 5,
      version: 77,
      created_at: '2000-01-01T00:00:00Z',
    })
    expectReply(r, 200, {
      id: p.id,
      name: 'After',
      description: 'now',
      price: '20.50',
      stock: 9,
      category_id: b.id,
      category: { id: b.id, name: 'Put B', level: 1 },
      created_at: p.created_at,
    })
    expect((await t.admin('PUT', `/api/v1/product/${p.id}`, { price: 3 })).body).toMatchObject({
      price: '3.00',
      name: 'After',
      stock: 9,
    })
    expect((await t.admin('PUT', `/api/v1/product/${p.id}`, { description: null })).body.description).toBeNull()
  })
  test('404; 422 for an unknown category or invalid fields; 401/403', async () => {
    const c = await t.category('Put errors')
    const p = await t.product('Guarded', c.id)
    expectProblem(await t.admin('PUT', '/api/v1/product/999999', { name: 'x' }), 404, 'PRODUCT_NOT_FOUND')
    expectProblem(await t.admin('PUT', `/api/v1/product/${p.id}`, { category_id: 999_999 }), 422, 'UNKNOWN_CATEGORY')
    for (const body of [
      { price: 0 },
      { price: '1.001' },
      { stock: -1 },
      { name: '' },
      { name: null },
      { category_id: 'x' },
      { price: null },
    ]) {
      expectProblem(await t.admin('PUT', `/api/v1/product/${p.id}`, body), 422, 'VALIDATION_FAILED')
    }
    await expectAdminOnly(t, 'PUT', `/api/v1/product/${p.id}`, { price: 1 })
    expect((await t.req('GET', `/api/v1/product/${p.id}`)).body).toEqual(p)
  })
})

describe('DELETE /api/v1/product/{id}', () => {
  const t = catalogTestApp()
  test('204, then 404; 401/403', async () => {
    const c = await t.category('Del')
    const p = await t.product('Gone', c.id)
    await expectAdminOnly(t, 'DELETE', `/api/v1/product/${p.id}`)
    const r = await t.admin('DELETE', `/api/v1/product/${p.id}`)
    expect(r.status).toBe(204)
    expect(r.text).toBe('')
    expectProblem(await t.admin('DELETE', `/api/v1/product/${p.id}`), 404, 'PRODUCT_NOT_FOUND')
    expectProblem(await t.req('GET', `/api/v1/product/${p.id}`), 404)
  })
})

describe('events are written with the change', () => {
  test(
    'create, update (stock too) and delete each record one event, ' + 'with the request id as correlation id',
    async () => {
      const t = catalogTestApp()
      const published = t.published
      const c = await t.category('Events')
      const c2 = await t.category('Events 2')
      const created = await t.admin(
        'POST',
        '/api/v1/product',
        { name: 'Evented', price: '9.99', stock: 4, category_id: c.id },
        { 'X-Request-Id': 'req-create' },
      )
      expect(created.headers.get('X-Request-Id')).toBe('req-create')
      const id = created.body.id
      await t.admin(
        'PUT',
        `/api/v1/product/${id}`,
        { price: '10.5', category_id: c2.id },
        { 'X-Request-Id': 'req-update' },
      )
      await t.admin('PUT', `/api/v1/product/${id}`, { stock: 0 }, { 'X-Request-Id': 'req-stock' })
      await t.admin('DELETE', `/api/v1/product/${id}`, undefined, { 'X-Request-Id': 'req-delete' })
      const mine = published.filter((e: Envelope) => (e.data as { id?: number }).id === id)
      expect(mine.map((e) => [e.type, e.correlation_id, e.source, e.version])).toEqual([
        ['product.created', 'req-create', 'catalog', 1],
        ['product.updated', 'req-update', 'catalog', 1],
        ['product.updated', 'req-stock', 'catalog', 1],
        ['product.deleted', 'req-delete', 'catalog', 1],
      ])
      expect(mine.map((e) => e.data)).toEqual([
        { id, name: 'Evented', price: '9.99', stock: 4, category_id: c.id, sku: null, version: 1 },
        { id, name: 'Evented', price: '10.50', stock: 4, category_id: c2.id, sku: null, version: 2 },
        { id, name: 'Evented', price: '10.50', stock: 0, category_id: c2.id, sku: null, version: 3 },
        { id, version: 4 },
      ])
    },
  )
  test('refused and no-op writes record nothing; category writes record nothing', async () => {
    const t = catalogTestApp()
    const c = await t.category('Quiet')
    const p = await t.product('Quiet', c.id, { price: '5.00' })
    const before = t.published.length
    await t.admin('POST', '/api/v1/product', { name: 'x', price: '1.00', category_id: 999_999 })
    await t.admin('PUT', `/api/v1/product/${p.id}`, { category_id: 999_999, name: 'changed' })
    await t.admin('PUT', `/api/v1/product/${p.id}`, { price: '5', name: 'Quiet' })
    await t.admin('PUT', `/api/v1/category/${c.id}`, { name: 'Renamed' })
    await t.req('DELETE', `/api/v1/product/${p.id}`)
    expect(t.published.length).toBe(before)
    expect((await t.req('GET', `/api/v1/product/${p.id}`)).body.category.name).toBe('Renamed')
  })
})

describe('conventions', () => {
  const t = catalogTestApp()
  test('paths answer with and without a trailing slash', async () => {
    const c = await t.category('Slash')
    const p = await t.product('Slashed', c.id)
    expect((await t.req('GET', '/api/v1/products/')).status).toBe(200)
    expect((await t.req('GET', '/api/v1/categories/')).status).toBe(200)
    expect((await t.req('GET', `/api/v1/categories/${c.id}/`)).status).toBe(200)
    expect((await t.req('GET', `/api/v1/product/${p.id}/`)).status).toBe(200)
    expect((await t.req('GET', `/api/v1/products_with_category/${c.id}/`)).status).toBe(200)
    expect((await t.admin('POST', '/api/v1/category/', { name: 'Slash 2' })).status).toBe(201)
    expect((await t.admin('PUT', `/api/v1/product/${p.id}/`, { stock: 3 })).status).toBe(200)
    expect((await t.admin('DELETE', `/api/v1/product/${p.id}/`)).status).toBe(204)
  })
  test('X-Request-Id echoed or generated; 404 and 405 in problem+json', async () => {
    expect(
      (await t.req('GET', '/api/v1/products', { headers: { 'X-Request-Id': 'abc-1' } })).headers.get('X-Request-Id'),
    ).toBe('abc-1')
    expect((await t.req('GET', '/api/v1/products')).headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/)
    expectProblem(await t.req('GET', '/api/v1/nope'), 404, 'NOT_FOUND')
    const r = await t.req('DELETE', '/api/v1/products')
    expectProblem(r, 405, 'METHOD_NOT_ALLOWED')
    expect(r.headers.get('Allow')).toContain('GET')
  })
  test('health, openapi (every catalog route, with its errors) and docs', async () => {
    const doc = await expectServiceRoutes(t.req)
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/v1/categories',
      '/api/v1/categories/tree',
      '/api/v1/categories/{id}',
      '/api/v1/category',
      '/api/v1/category/{id}',
      '/api/v1/product',
      '/api/v1/product/{id}',
      '/api/v1/products',
      '/api/v1/products_with_category/{id}',
      '/health',
      '/health/live',
      '/health/ready',
      '/health/serving',
    ])
    const paths = doc.paths
    expect(Object.keys(paths['/api/v1/category/{id}'].put.responses).sort()).toEqual(
      withBodyRouteStatuses(200, 403, 404, 409),
    )
    expect(Object.keys(paths['/api/v1/category/{id}'].delete.responses)).toContain('409')
    expect(Object.keys(paths['/api/v1/products_with_category/{id}'].get.responses)).toContain('404')
    expect(paths['/api/v1/products'].get.parameters.map((p: any) => p.name).sort()).toEqual([
      'If-None-Match',
      'category_id',
      'in_stock',
      'limit',
      'max_price',
      'min_price',
      'offset',
      'q',
      'sort',
    ])
    expect(paths['/api/v1/categories'].get.description).toContain('tree=true')
    expect(paths['/api/v1/product'].post.security).toBeDefined()
    expect(paths['/api/v1/products'].get.security).toEqual([])
    expect((await t.req('GET', '/docs')).status).toBe(200)
  })
  test('a hostile bearer value is a 401, not a crash', async () => {
    for (const token of ['x', 'a.b.c', `${ADMIN}x`, `${ADMIN.split('.').slice(0, 2).join('.')}.`]) {
      const r = await t.req('POST', '/api/v1/category', {
        body: { name: 'x' },
        headers: { Authorization: `Bearer ${token}` },
      })
      expectProblem(r, 401)
    }
  })
})
