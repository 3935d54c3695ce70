import { describe, expect, test } from 'bun:test'
import postgres from 'postgres'
import { ADMIN, api, dbUrl, eventually, type Shop, useServers, withShop } from './harness.ts'

/**
 * A whole shop story over HTTP, with the three services as real processes on the real
 * PostgreSQL and RabbitMQ: register, log in, the admin builds the catalog, a user orders, the
 * order is confirmed by real stock, a price changes, the user is deleted and their orders are
 * cancelled.
 */
const run = await useServers()
let shop: Shop

describe.skipIf(!run)('a whole shop story on real processes', () => {
  withShop((s) => (shop = s))

  const s = () => ({ auth: shop.auth.url, catalog: shop.catalog.url, order: shop.order.url })
  const login = async (username: string, password: string) => {
    const r = await api(s().auth, 'POST', '/api/v1/auth/login', { body: { username, password } })
    expect(r.status).toBe(200)
    return r.body.access_token as string
  }
  const state: Record<string, any> = {}
  /** A request of the admin's (logged in by the first tests). */
  const asAdmin = (service: keyof ReturnType<typeof s>, method: string, path: string, body?: unknown) =>
    api(s()[service], method, path, { token: state.admin.token, ...(body !== undefined ? { body } : {}) })

  test('register and log in', async () => {
    const r = await api(s().auth, 'POST', '/api/v1/auth/register', {
      body: { username: 'alice', email: 'alice@example.com', password: 'alice-password', full_name: 'Alice' },
    })
    expect(r.status).toBe(201)
    state.alice = { id: r.body.id, token: await login('alice', 'alice-password') }
    state.admin = { token: await login(ADMIN.username, ADMIN.password) }
    expect((await api(s().auth, 'GET', '/api/v1/users/me', { token: state.alice.token })).body.username).toBe('alice')
  })

  test('the admin builds a 3-level category tree and products; a USER may not', async () => {
    const admin = state.admin.token
    expect(
      (await api(s().catalog, 'POST', '/api/v1/category', { token: state.alice.token, body: { name: 'X' } })).status,
    ).toBe(403)
    const root = await api(s().catalog, 'POST', '/api/v1/category', { token: admin, body: { name: 'Electronics' } })
    expect(root.status).toBe(201)
    const mid = await api(s().catalog, 'POST', '/api/v1/category', {
      token: admin,
      body: { name: 'Computers', parent_id: root.body.id },
    })
    const leaf = await api(s().catalog, 'POST', '/api/v1/category', {
      token: admin,
      body: { name: 'Laptops', parent_id: mid.body.id },
    })
    expect(leaf.body.level).toBe(2)
    const laptop = await api(s().catalog, 'POST', '/api/v1/product', {
      token: admin,
      body: { name: 'Laptop 14', price: 1999.9, stock: 3, category_id: leaf.body.id },
    })
    expect(laptop.status).toBe(201)
    expect(laptop.body.price).toBe('1999.90')
    const mouse = await api(s().catalog, 'POST', '/api/v1/product', {
      token: admin,
      body: { name: 'Mouse', price: '25.50', stock: 100, category_id: mid.body.id },
    })
    Object.assign(state, { root: root.body, leaf: leaf.body, laptop: laptop.body, mouse: mouse.body })
    const inTree = await api(s().catalog, 'GET', `/api/v1/products?category_id=${root.body.id}&sort=price`)
    expect(inTree.body.map((p: any) => p.name)).toEqual(['Mouse', 'Laptop 14'])
    expect(inTree.headers.get('X-Total-Count')).toBe('2')
    const crumbs = await api(s().catalog, 'GET', `/api/v1/categories/${leaf.body.id}`)
    expect(crumbs.body.path.map((c: any) => c.name)).toEqual(['Electronics', 'Computers'])
  })

  test(
    'conditional reads on the real catalog: 304 while nothing changes, ' +
      '200 with a new tag after a write (through the API or in plain SQL)',
    async () => {
      const listing = `/api/v1/products?category_id=${state.root.id}&sort=price`
      const get = (path: string, tag?: string) =>
        api(s().catalog, 'GET', path, tag ? { headers: { 'If-None-Match': tag } } : {})
      const first = await get(listing)
      expect(first.status).toBe(200)
      const tag = first.headers.get('ETag')!
      expect(tag).toMatch(/^W\/"[0-9a-f]{12}-p\d+-c\d+"$/)
      expect(first.headers.get('Cache-Control')).toBe('public, no-cache')
      const same = await get(listing, tag)
      expect(same.status).toBe(304)
      expect(same.text).toBe('')
      expect(same.headers.get('ETag')).toBe(tag)
      expect(same.headers.get('Content-Type')).toBeNull()
      // A write through the API: a new tag and the new data.
      expect(
        (await asAdmin('catalog', 'PUT', `/api/v1/product/${state.mouse.id}`, { description: 'wireless' })).status,
      ).toBe(200)
      const changed = await get(listing, tag)
      expect(changed.status).toBe(200)
      const tag2 = changed.headers.get('ETag')!
      expect(tag2).not.toBe(tag)
      expect(changed.body.find((p: { id: number }) => p.id === state.mouse.id).description).toBe('wireless')
      expect((await get(listing, tag2)).status).toBe(304)
      // A product imported in plain SQL into the service's database: the triggers move the counter.
      const db = postgres(dbUrl('catalog'), { max: 1, onnotice: () => {} })
      try {
        await db`insert into products (name, name_key, price, stock, category_id, created_at, updated_at)
        values ('Imported cable', 'imported cable', 3, 9, ${state.leaf.id}, now(), now())`
        const imported = await get(listing, tag2)
        expect(imported.status).toBe(200)
        expect(imported.headers.get('ETag')).not.toBe(tag2)
        expect(imported.body.map((p: { name: string }) => p.name)).toEqual(['Imported cable', 'Mouse', 'Laptop 14'])
        expect((await get(listing, imported.headers.get('ETag')!)).status).toBe(304)
        // (the rest of the story does not expect it)
        await db`delete from products where name = 'Imported cable'`
      } finally {
        await db.end()
      }
    },
  )

  test('a user orders; the catalog reserves the stock; the order is confirmed', async () => {
    // the order service learns the products from product.created events
    const place = () =>
      api(s().order, 'POST', '/api/v1/order', {
        token: state.alice.token,
        body: {
          items: [
            { product_id: state.laptop.id, quantity: 2 },
            { product_id: state.mouse.id, quantity: 1 },
            { product_id: state.mouse.id, quantity: 1 },
          ],
          shipping_address: '1 Main St',
        },
      })
    const placed = await eventually(async () => {
      const r = await place()
      return r.status === 201 ? r : undefined
    }, 'the order service to know the products')
    expect(placed.body.status).toBe('pending')
    expect(placed.body.items).toHaveLength(2)
    expect(placed.body.total).toBe('4050.80')
    expect(placed.body.total_quantity).toBe(4)
    const confirmed = await eventually(async () => {
      const r = await api(s().order, 'GET', `/api/v1/order/${placed.body.id}`, { token: state.alice.token })
      return r.body.status === 'confirmed' ? r.body : undefined
    }, 'the order to be confirmed')
    expect(confirmed.user_id).toBe(state.alice.id)
    state.order = confirmed
    const stock = await api(s().catalog, 'GET', `/api/v1/product/${state.laptop.id}`)
    expect(stock.body.stock).toBe(1)
  })

  test('an order beyond the stock is rejected by the catalog', async () => {
    const r = await api(s().order, 'POST', '/api/v1/order', {
      token: state.alice.token,
      body: { items: [{ product_id: state.laptop.id, quantity: 5 }] },
    })
    expect(r.status).toBe(201)
    await eventually(
      async () =>
        (await api(s().order, 'GET', `/api/v1/order/${r.body.id}`, { token: state.alice.token })).body.status ===
        'rejected',
      'the order to be rejected',
    )
    expect((await api(s().catalog, 'GET', `/api/v1/product/${state.laptop.id}`)).body.stock).toBe(1)
  })

  test('a price change reaches the order replica; existing orders keep their snapshot', async () => {
    const r = await asAdmin('catalog', 'PUT', `/api/v1/product/${state.mouse.id}`, { price: '19.99' })
    expect(r.status).toBe(200)
    const next = await eventually(async () => {
      const o = await api(s().order, 'POST', '/api/v1/order', {
        token: state.alice.token,
        body: { items: [{ product_id: state.mouse.id, quantity: 1 }] },
      })
      return o.status === 201 && o.body.items[0].unit_price === '19.99' ? o.body : undefined
    }, 'the new price in the order replica')
    expect(next.total).toBe('19.99')
    const old = await api(s().order, 'GET', `/api/v1/order/${state.order.id}`, { token: state.alice.token })
    expect(old.body.items.find((i: any) => i.product_id === state.mouse.id).unit_price).toBe('25.50')
    state.pendingMouseOrder = next
  })

  test('the admin moves an order along; another user sees 404', async () => {
    const bob = await api(s().auth, 'POST', '/api/v1/auth/register', {
      body: { username: 'bob', email: 'bob@example.com', password: 'bob-password' },
    })
    const bobToken = await login('bob', 'bob-password')
    expect((await api(s().order, 'GET', `/api/v1/order/${state.order.id}`, { token: bobToken })).status).toBe(404)
    const paid = await asAdmin('order', 'PUT', `/api/v1/update_order/${state.order.id}`, { status: 'paid' })
    expect(paid.status).toBe(200)
    expect(paid.body.status).toBe('paid')
    expect(
      (await asAdmin('order', 'PUT', `/api/v1/update_order/${state.order.id}`, { status: 'delivered' })).status,
    ).toBe(409)
    state.bob = { id: bob.body.id, token: bobToken }
  })

  test('the user is deleted: tokens die everywhere, open orders are cancelled and their stock released', async () => {
    const before = (await api(s().catalog, 'GET', `/api/v1/product/${state.laptop.id}`)).body.stock
    const del = await asAdmin('auth', 'DELETE', `/api/v1/users/${state.alice.id}`)
    expect(del.status).toBe(204)
    expect((await api(s().auth, 'GET', '/api/v1/users/me', { token: state.alice.token })).status).toBe(401)
    await eventually(
      async () => (await api(s().order, 'GET', '/api/v1/orders', { token: state.alice.token })).status === 401,
      'order to reject the token',
    )
    // the catalog's admin endpoints check the replica too; an ordinary read stays public
    const admin = state.admin.token
    const orders = await eventually(async () => {
      const r = await api(s().order, 'GET', `/api/v1/orders?user_id=${state.alice.id}`, { token: admin })
      return r.body.every((o: any) => o.status === 'cancelled' || o.status === 'rejected') ? r.body : undefined
    }, 'alice’s open orders to be cancelled')
    // (the price-change step may have placed more than one mouse order while the replica caught up)
    expect(orders.length).toBeGreaterThanOrEqual(3)
    expect(orders.filter((o: any) => o.status === 'rejected')).toHaveLength(1)
    expect(orders.filter((o: any) => o.status === 'cancelled')).toHaveLength(orders.length - 1)
    // the paid order had reserved 2 laptops: they are back
    await eventually(
      async () => (await api(s().catalog, 'GET', `/api/v1/product/${state.laptop.id}`)).body.stock === before + 2,
      'the laptops back in stock',
    )
  })

  test('a demoted admin loses admin rights in catalog and order before the token expires', async () => {
    const bobBecomes = (role: 'ADMIN' | 'USER') =>
      asAdmin('auth', 'PUT', `/api/v1/users/${state.bob.id}/role`, { role })
    /** Waits until the catalog answers bob's new category (a new name each try) with `status`. */
    const catalogAnswersBob = (status: number, prefix: string, what: string) =>
      eventually(
        async () =>
          (
            await api(s().catalog, 'POST', '/api/v1/category', {
              token: bobAdminToken,
              body: { name: `${prefix}-${Date.now()}` },
            })
          ).status === status,
        what,
      )
    /** Waits until order lists alice's orders to bob as an admin would (`admin`) or as a user would (none). */
    const orderSeesBobAs = (admin: boolean, what: string) =>
      eventually(async () => {
        const r = await api(s().order, 'GET', `/api/v1/orders?user_id=${state.alice.id}`, { token: bobAdminToken })
        return r.status === 200 && r.body.length > 0 === admin
      }, what)
    const promoted = await bobBecomes('ADMIN')
    expect(promoted.body.role).toBe('ADMIN')
    const bobAdminToken = await login('bob', 'bob-password')
    await catalogAnswersBob(201, 'B', 'bob as admin in catalog')
    await orderSeesBobAs(true, "bob as admin in order (alice's orders listed)")
    await bobBecomes('USER')
    await catalogAnswersBob(403, 'C', 'bob demoted in catalog')
    // each service applies user.updated from its own queue: order's wait is its own
    await orderSeesBobAs(false, "bob demoted in order (alice's orders no longer listed)")
    const asUser = await api(s().order, 'GET', '/api/v1/orders', { token: bobAdminToken })
    expect(asUser.body.every((o: any) => o.user_id === state.bob.id)).toBe(true)
  })

  test('the request id travels into the events and the consumers’ logs', async () => {
    const rid = `story-${crypto.randomUUID()}`
    const r = await api(s().catalog, 'POST', '/api/v1/product', {
      token: state.admin.token,
      body: { name: 'Traced', price: '1.00', stock: 1, category_id: state.leaf.id },
      headers: { 'X-Request-Id': rid },
    })
    expect(r.headers.get('X-Request-Id')).toBe(rid)
    // order's consumer handles product.created with that correlation id (debug level is off: check the replica instead)
    await eventually(async () => {
      const o = await api(s().order, 'POST', '/api/v1/order', {
        token: state.bob.token,
        body: { items: [{ product_id: r.body.id, quantity: 1 }] },
        headers: { 'X-Request-Id': `${rid}-order` },
      })
      return o.status === 201
    }, 'the traced product in the order replica')
    const catalogLogs = shop.catalog.logs()
    expect(catalogLogs.some((l) => l.request_id === rid && l.msg === 'request')).toBe(true)
  })
})
