/**
 * The OWASP API Security Top 10 (2023), item by item where it applies, through `app.request()`
 * on the three services' HTTP apps over their memory adapters. API6 (sensitive business flows),
 * API7 (SSRF: no service fetches a URL a client gives) and API9 (inventory: the OpenAPI
 * documents are tested by each service) have nothing more to test here.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { MemoryBus } from '@shop/platform/bus/memory'
import { TEST_EVENT_KEYS as keys } from '@shop/platform/testing/event-keys'
import { ownerOf } from '@shop/platform/bus/ownership'
import type { Subscription } from '@shop/platform/bus/bus'
import { type Envelope, type EventType, makeEnvelope } from '@shop/kernel/events'
import { memoryUserReplica } from '@shop/platform/memory/user-replica'
import { silentLogger } from '@shop/platform/log'
import type { Reply } from '@shop/platform/testing/http'
import { authTestApp } from '../../auth/test/support.ts'
import { loadAuthConfig } from '../../auth/src/config.ts'
import { memoryAuthStore } from '../../auth/src/adapters/memory/store.ts'
import { ADMIN, catalogTestApp } from '../../catalog/test/support.ts'
import { loadCatalogConfig } from '../../catalog/src/config.ts'
import { catalogSubscriptions } from '../../catalog/src/adapters/events/consumers.ts'
import { memoryCatalogStore } from '../../catalog/src/adapters/memory/store.ts'
import { orderTestApp } from '../../order/test/support.ts'
import { loadOrderConfig } from '../../order/src/config.ts'
import { orderSubscriptions } from '../../order/src/adapters/events/consumers.ts'
import { memoryOrderStore } from '../../order/src/adapters/memory/store.ts'
import {
  type Operation,
  type Person,
  buildAuth,
  buildCatalog,
  buildOrder,
  capturingLogger,
  failing,
  fillPath,
  hostileTokens,
  opName,
  operations,
  problemIssues,
  replica,
  requester,
  secretLeaks,
  seedOrderProduct,
  seen,
  snapshotDiff,
  snapshotter,
  tokens,
} from './support.ts'

const expectProblem = (r: Reply, status: number, code?: string) => {
  expect({ status: r.status, issues: problemIssues(r), ...(code ? { code: r.body?.code } : {}) }).toEqual({
    status,
    issues: [],
    ...(code ? { code } : {}),
  })
}

/** The same 404 for someone else's object as for one that does not exist (ids normalised). */
const sameNotFound = (a: Reply, b: Reply, idA: number | string, idB: number | string) => {
  // The request's own id aside (each answer has its own), and the path with the id in it normalised.
  const norm = (r: Reply, id: number | string) => ({
    status: r.status,
    body: {
      ...JSON.parse(
        JSON.stringify({ ...r.body, request_id: undefined, instance: undefined }).replaceAll(String(id), '<id>'),
      ),
      instance: String(r.body.instance).replace(new RegExp(`/${id}(?=/|$)`), '/<id>'),
    },
  })
  expect(norm(a, idA)).toEqual(norm(b, idB))
}

const person = (
  role: 'USER' | 'ADMIN',
  username = `${role.toLowerCase()}_${crypto.randomUUID().slice(0, 6)}`,
): Person => ({ id: crypto.randomUUID(), username, role })

/** Registers a user over HTTP (then promotes through the core when asked) and logs in. */
async function authUser(
  a: ReturnType<typeof buildAuth>,
  req: ReturnType<typeof requester>,
  role: 'USER' | 'ADMIN' = 'USER',
) {
  const username = `${role.toLowerCase()}_${crypto.randomUUID().slice(0, 8)}`
  const password = `pw-${crypto.randomUUID()}`
  const reg = await req('POST', '/api/v1/auth/register', {
    body: { username, email: `${username}@example.com`, password },
  })
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${reg.text}`)
  if (role === 'ADMIN') await a.application.commands.changeRole(reg.body.id, 'ADMIN')
  const login = await req('POST', '/api/v1/auth/login', { body: { username, password } })
  if (login.status !== 200) throw new Error(`login: ${login.status} ${login.text}`)
  return { id: reg.body.id as string, username, role, password, token: login.body.access_token as string }
}

/** POST /api/v1/auth/login with `body` from `address` (through a proxy that saw `forwardedFor`, if given). */
const loginFrom = (
  req: ReturnType<typeof requester>,
  body: { username: string; password: string },
  address: string,
  forwardedFor?: string,
) =>
  req('POST', '/api/v1/auth/login', {
    body,
    address,
    ...(forwardedFor ? { headers: { 'X-Forwarded-For': forwardedFor } } : {}),
  })

/** An order service (memory) with alice and bob (users), an admin, and a product `p` made as `product` says. */
async function orderWorld(product: Parameters<ReturnType<typeof orderTestApp>['product']>[0]) {
  const t = orderTestApp()
  return {
    t,
    req: requester('order', t.app),
    alice: await t.user(),
    bob: await t.user(),
    admin: await t.user('ADMIN'),
    p: await t.product(product),
  }
}

/** Every plaintext password the tests used: none may ever come back. */
const passwords: string[] = []

// =============================================================================================
describe("API1 broken object level authorization: another user's order is 404, never 403, never revealed", () => {
  const t = orderTestApp()
  const req = requester('order', t.app)
  const snap = snapshotter(t.store)
  let alice: Awaited<ReturnType<typeof t.user>>
  let bob: Awaited<ReturnType<typeof t.user>>
  let admin: Awaited<ReturnType<typeof t.user>>
  let order: any
  const missing = 987_654

  beforeAll(async () => {
    alice = await t.user()
    bob = await t.user()
    admin = await t.user('ADMIN')
    const p = await t.product({ price: '5.00' })
    order = await t.order(alice.token, [{ product_id: p.id, quantity: 2 }], { shipping_address: 'Alice street 1' })
    await t.order(bob.token, [{ product_id: p.id, quantity: 1 }])
  })

  test('GET /order/{id} and its history: 404 exactly as for an order that does not exist', async () => {
    for (const suffix of ['', '/history']) {
      const theirs = await req('GET', `/api/v1/order/${order.id}${suffix}`, { token: bob.token })
      const none = await req('GET', `/api/v1/order/${missing}${suffix}`, { token: bob.token })
      expectProblem(theirs, 404, 'ORDER_NOT_FOUND')
      sameNotFound(theirs, none, order.id, missing)
      expect(theirs.text).not.toContain('Alice street')
    }
    // the control: the owner and an admin see it
    expect((await req('GET', `/api/v1/order/${order.id}`, { token: alice.token })).status).toBe(200)
    expect((await req('GET', `/api/v1/order/${order.id}/history`, { token: admin.token })).status).toBe(200)
  })

  test('GET /orders: a USER sees only their own; user_id (once or repeated) cannot widen it', async () => {
    const own = await req('GET', '/api/v1/orders', { token: bob.token })
    expect(own.status).toBe(200)
    expect(own.body.every((o: any) => o.user_id === bob.id)).toBe(true)
    expect(own.body.map((o: any) => o.id)).not.toContain(order.id)
    expect(own.headers.get('X-Total-Count')).toBe('1')
    for (const q of [
      `user_id=${alice.id}`,
      `user_id=${alice.id.toUpperCase()}`,
      `user_id=${alice.id}&status=pending`,
      `status=pending&user_id=${alice.id}&limit=100`,
    ]) {
      const r = await req('GET', `/api/v1/orders?${q}`, { token: bob.token })
      expect({ q, status: r.status, body: r.body, total: r.headers.get('X-Total-Count') }).toEqual({
        q,
        status: 200,
        body: [],
        total: '0',
      })
    }
    const repeated = await req('GET', `/api/v1/orders?user_id=${bob.id}&user_id=${alice.id}`, { token: bob.token })
    expect(repeated.status).toBe(422)
    // Nothing of the order in the answer (its request id and path aside, which may hold the same digits).
    const { request_id: _id, instance: _path, ...refusal } = repeated.body
    expect(JSON.stringify(refusal)).not.toContain(String(order.id))
    // the control: an admin's user_id filter does select alice's orders
    const adm = await req('GET', `/api/v1/orders?user_id=${alice.id}`, { token: admin.token })
    expect(adm.body.map((o: any) => o.id)).toEqual([order.id])
  })

  test(
    'PUT /update_order/{id} and DELETE /delete_order/{id}: ' + '404 as for a missing order, and nothing changes',
    async () => {
      const before = snap()
      const bodies = [
        { status: 'cancelled' },
        { items: [{ product_id: order.items[0].product_id, quantity: 9 }] },
        { shipping_address: 'Bob street 2' },
        { status: 'paid' },
        {},
      ]
      for (const body of bodies) {
        const theirs = await req('PUT', `/api/v1/update_order/${order.id}`, { token: bob.token, body })
        const none = await req('PUT', `/api/v1/update_order/${missing}`, { token: bob.token, body })
        expect(theirs.status).not.toBe(403)
        if (Object.keys(body).length === 0) {
          expectProblem(theirs, 422) // the body is checked before the order is looked up, whoever owns it
        } else expectProblem(theirs, 404, 'ORDER_NOT_FOUND')
        sameNotFound(theirs, none, order.id, missing)
      }
      const del = await req('DELETE', `/api/v1/delete_order/${order.id}`, { token: bob.token })
      expectProblem(del, 404, 'ORDER_NOT_FOUND')
      sameNotFound(del, await req('DELETE', `/api/v1/delete_order/${missing}`, { token: bob.token }), order.id, missing)
      expect(snapshotDiff(before, snap())).toEqual([])
      const still = await req('GET', `/api/v1/order/${order.id}`, { token: alice.token })
      expect(still.body).toEqual(order)
    },
  )
})

// =============================================================================================
/** Each service's secured operations, a path for each, and who may call them. */
interface World {
  readonly name: string
  readonly req: ReturnType<typeof requester>
  readonly ops: readonly Operation[]
  readonly path: (o: Operation) => string
  readonly body: (o: Operation) => unknown
  /** A principal allowed everywhere, whose hostile tokens must still fail. */
  readonly good: Person
  readonly goodToken: () => Promise<string>
  /** The token of a user who existed and was deleted (the service has seen the deletion). */
  readonly deletedToken: string
  readonly snap: ReturnType<typeof snapshotter>
}

/**
 * A service's World: its secured operations, each path's `{id}` filled with `id`, each body taken from `bodies` by
 * operation.
 */
async function securedWorld(
  name: string,
  app: Parameters<typeof operations>[0],
  id: string,
  bodies: Record<string, unknown>,
  who: Omit<World, 'name' | 'ops' | 'path' | 'body'>,
): Promise<World> {
  const ops = (await operations(app)).filter((o) => o.secured)
  return { name, ops, path: (o) => fillPath(o.path, { id }), body: (o) => bodies[opName(o)] ?? {}, ...who }
}

/**
 * The world of a service that knows its users from a replica (catalog, order): `good` and `gone` (its
 * deletion applied) with tokens signed by the test's key; the replica's rows are part of its state.
 */
async function replicaWorld(
  name: string,
  app: Parameters<typeof operations>[0],
  req: World['req'],
  bodies: Record<string, unknown>,
  o: { good: Person; gone: Person; store: object; users: ReturnType<typeof replica> },
): Promise<World> {
  return securedWorld(name, app, '1', bodies, {
    req,
    good: o.good,
    goodToken: () => tokens.valid(o.good),
    deletedToken: await tokens.valid(o.gone),
    snap: snapshotter(o.store, [o.users.rows]),
  })
}

async function api2Worlds(): Promise<World[]> {
  const worlds: World[] = []

  // auth: users in its own store; a deleted user is gone from it
  {
    const a = buildAuth()
    const req = requester('auth', a.app)
    const admin = await authUser(a, req, 'ADMIN')
    const victim = await authUser(a, req)
    const gone = await authUser(a, req, 'ADMIN')
    passwords.push(admin.password, victim.password, gone.password)
    expect((await req('GET', '/api/v1/users/me', { token: gone.token })).status).toBe(200)
    expect((await req('DELETE', `/api/v1/users/${gone.id}`, { token: admin.token })).status).toBe(204)
    const bodies: Record<string, unknown> = {
      'PUT /api/v1/users/me': { full_name: 'Changed' },
      'PUT /api/v1/users/{id}/role': { role: 'ADMIN' },
    }
    // a fresh login each time: POST /auth/logout-all, one of the secured operations, revokes the tokens before it
    const goodToken = async () =>
      (await req('POST', '/api/v1/auth/login', { body: { username: admin.username, password: admin.password } })).body
        .access_token
    worlds.push(
      await securedWorld('auth', a.app, victim.id, bodies, {
        req,
        good: admin,
        goodToken,
        deletedToken: gone.token,
        snap: snapshotter(a.store),
      }),
    )
  }

  // catalog: an admin known to its replica; a deleted admin as the user.deleted event left it
  {
    const users = replica()
    const c = buildCatalog({ replica: users })
    const req = requester('catalog', c.app)
    const [admin, gone] = [person('ADMIN'), person('ADMIN')]
    for (const p of [admin, gone]) await users.created(p)
    await users.deleted(gone)
    const cat = await c.core.commands.createCategory({ name: 'Root' })
    if (!cat.ok) throw new Error('seed')
    await c.core.commands.createProduct({ name: 'P', price: '1.00', stock: 1, categoryId: cat.value.id })
    const bodies: Record<string, unknown> = {
      'POST /api/v1/category': { name: 'New' },
      'PUT /api/v1/category/{id}': { name: 'Renamed' },
      'POST /api/v1/product': { name: 'Q', price: '2.00', category_id: cat.value.id },
      'PUT /api/v1/product/{id}': { price: '3.00' },
    }
    worlds.push(await replicaWorld('catalog', c.app, req, bodies, { good: admin, gone, store: c.store, users }))
  }

  // order: a user known to its replica, owner of order 1; a deleted user, owner of order 2
  {
    const users = replica()
    const o = buildOrder({ replica: users })
    const req = requester('order', o.app)
    const [owner, gone] = [person('USER'), person('USER')]
    for (const p of [owner, gone]) await users.created(p)
    await seedOrderProduct(o.application, 7)
    for (const p of [owner, gone]) {
      const r = await req('POST', '/api/v1/order', {
        token: await tokens.valid(p),
        body: { items: [{ product_id: 7, quantity: 1 }] },
      })
      if (r.status !== 201) throw new Error(r.text)
    }
    await users.deleted(gone)
    const bodies: Record<string, unknown> = {
      'POST /api/v1/order': { items: [{ product_id: 7, quantity: 1 }] },
      'PUT /api/v1/update_order/{id}': { shipping_address: 'Somewhere 1' },
    }
    worlds.push(await replicaWorld('order', o.app, req, bodies, { good: owner, gone, store: o.store, users }))
  }

  return worlds
}

const worlds = await api2Worlds()

/** Operations known to be for admins only (API5 checks /openapi.json says so; API2 that they need a token). */
const KNOWN_ADMIN_ONLY = {
  auth: ['GET /api/v1/users', 'PUT /api/v1/users/{id}/role', 'DELETE /api/v1/users/{id}'],
  catalog: [
    'POST /api/v1/category',
    'PUT /api/v1/category/{id}',
    'DELETE /api/v1/category/{id}',
    'POST /api/v1/product',
    'PUT /api/v1/product/{id}',
    'DELETE /api/v1/product/{id}',
  ],
}

describe('API2 broken authentication', () => {
  const known: Record<string, string[]> = {
    auth: ['GET /api/v1/users/me', 'PUT /api/v1/users/me', ...KNOWN_ADMIN_ONLY.auth],
    catalog: KNOWN_ADMIN_ONLY.catalog,
    order: [
      'POST /api/v1/order',
      'GET /api/v1/order/{id}',
      'GET /api/v1/order/{id}/history',
      'GET /api/v1/orders',
      'PUT /api/v1/update_order/{id}',
      'DELETE /api/v1/delete_order/{id}',
    ],
  }

  for (const w of worlds) {
    describe(w.name, () => {
      test('the secured operations come from /openapi.json and include the known ones', () => {
        expect(w.ops.length).toBeGreaterThan(0)
        expect(w.ops.map(opName)).toEqual(expect.arrayContaining(known[w.name]!))
      })

      const refused = async (
        make: () => Promise<string | undefined> | string | undefined,
        headers: Record<string, string> = {},
      ) => {
        const before = w.snap()
        const failures: string[] = []
        for (const o of w.ops) {
          const token = await make()
          const body = o.bodySchema ? { body: w.body(o) } : {}
          const r = await w.req(o.method, w.path(o), { ...body, ...(token !== undefined ? { token } : {}), headers })
          const issues = problemIssues(r)
          if (r.status !== 401 || issues.length) failures.push(`${opName(o)}: ${r.status} ${issues.join('; ')}`)
        }
        expect(failures).toEqual([])
        expect(snapshotDiff(before, w.snap())).toEqual([])
      }

      for (const [kind, make] of Object.entries(hostileTokens(w.good))) {
        test(`${kind}: 401 with WWW-Authenticate: Bearer on every secured operation`, () => refused(make))
      }
      test('a token whose user has been deleted: 401 everywhere', () => refused(() => w.deletedToken))
      test('no token, an empty bearer, another scheme: 401 everywhere', async () => {
        await refused(() => undefined)
        await refused(() => undefined, { Authorization: 'Bearer ' })
        await refused(() => undefined, { Authorization: `Basic ${btoa('admin:admin')}` })
        await refused(() => undefined, { Authorization: `Token ${'x'.repeat(20)}` })
      })
      test('a token signed for another user id is still bound to its claims (tampered payload): 401', async () => {
        const real = await w.goodToken()
        const [h, , s] = real.split('.')
        const claims = tokens.claims({ ...w.good, id: crypto.randomUUID(), role: 'ADMIN' })
        const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`
        await refused(() => forged)
      })
      test('the control: the valid token passes authentication on every secured operation', async () => {
        for (const o of w.ops) {
          const token = await w.goodToken()
          const r = await w.req(o.method, w.path(o), { token, ...(o.bodySchema ? { body: w.body(o) } : {}) })
          expect({ op: opName(o), status: r.status === 401 ? 401 : 'not 401' }).toEqual({
            op: opName(o),
            status: 'not 401',
          })
        }
      })
    })
  }

  test(
    'auth POST /verify refuses every hostile token, ' + "in the body and in the header, and a deleted user's",
    async () => {
      const w = worlds.find((x) => x.name === 'auth')!
      const all = [...Object.values(hostileTokens(w.good)), () => w.deletedToken]
      for (const make of all) {
        const token = await make()
        for (const r of [
          await w.req('POST', '/api/v1/auth/verify', { body: { token } }),
          await w.req('POST', '/api/v1/auth/verify', { token, body: {} }),
        ]) {
          expectProblem(r, 401)
        }
      }
      expect((await w.req('POST', '/api/v1/auth/verify', { body: { token: await w.goodToken() } })).status).toBe(200)
    },
  )

  describe('login brute force', () => {
    // Since issue 14, failures count per (account, client address): from the guessing address even
    // the right password is 429, from another address the account is not locked (up to the much
    // higher per-account limit, tested in auth/test/trust.test.ts).
    test(
      'per account and address: after the limit even the right password ' +
        'is 429 with Retry-After, in any case; not from another address',
      async () => {
        const t = authTestApp({ maxFailures: 3, maxPerAddress: 1000 })
        const req = requester('auth', t.app)
        const u = await t.user()
        const other = await t.user()
        passwords.push(u.password, other.password)
        for (let i = 0; i < 3; i++) {
          expectProblem(
            await req('POST', '/api/v1/auth/login', {
              body: { username: i % 2 ? u.username.toUpperCase() : u.username, password: `wrong-${i}` },
              address: '10.9.9.9',
            }),
            401,
            'INVALID_CREDENTIALS',
          )
        }
        const r = await loginFrom(req, { username: u.username, password: u.password }, '10.9.9.9')
        expectProblem(r, 429, 'TOO_MANY_ATTEMPTS')
        const after = Number(r.headers.get('Retry-After'))
        expect(Number.isInteger(after) && after > 0 && after <= 900).toBe(true)
        expect(r.body.access_token).toBeUndefined()
        // the form login (docs page) is the same door
        const form = await req('POST', '/api/v1/auth/login', {
          raw: new URLSearchParams({ username: u.username, password: u.password }).toString(),
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          address: '10.9.9.9',
        })
        expectProblem(form, 429, 'TOO_MANY_ATTEMPTS')
        // the account itself is not locked: from another address the right password works
        expect((await loginFrom(req, { username: u.username, password: u.password }, '10.9.9.8')).status).toBe(200)
        // someone else is not locked out
        expect(
          (await req('POST', '/api/v1/auth/login', { body: { username: other.username, password: other.password } }))
            .status,
        ).toBe(200)
      },
    )

    test('per username: logging in by email counts against the same account as by username', async () => {
      const t = authTestApp({ maxFailures: 4, maxPerAddress: 1000 })
      const req = requester('auth', t.app)
      const u = await t.user()
      passwords.push(u.password)
      for (let i = 0; i < 4; i++) {
        const login = i % 2 ? `${u.username}@example.com` : u.username
        expectProblem(
          await req('POST', '/api/v1/auth/login', {
            body: { username: login, password: `wrong-${i}` },
            address: '10.1.9.9',
          }),
          401,
        )
      }
      for (const login of [u.username, `${u.username}@EXAMPLE.com`]) {
        expectProblem(
          await loginFrom(req, { username: login, password: u.password }, '10.1.9.9'),
          429,
          'TOO_MANY_ATTEMPTS',
        )
      }
    })

    test('per address: X-Forwarded-For cannot be used to pick a new address per attempt', async () => {
      // Without a trusted proxy the header is ignored: the socket peer counts.
      const direct = buildAuth({ maxPerAddress: 3, maxFailures: 1000 })
      const dReq = requester('auth', direct.app)
      for (let i = 0; i < 3; i++)
        expectProblem(
          await loginFrom(dReq, { username: `n${i}`, password: 'guess-1234' }, '203.0.113.9', `10.0.0.${i}`),
          401,
        )
      expectProblem(await loginFrom(dReq, { username: 'n9', password: 'guess-1234' }, '203.0.113.9', '10.0.0.99'), 429)
      // Behind a trusted proxy, which appends the address it saw: the client's own hops do not count.
      const proxied = buildAuth({ maxPerAddress: 3, maxFailures: 1000, trustProxy: true })
      const pReq = requester('auth', proxied.app)
      for (let i = 0; i < 3; i++)
        expectProblem(
          await loginFrom(
            pReq,
            { username: `n${i}`, password: 'guess-1234' },
            '10.10.0.1',
            `1.2.3.${i}, 198.51.100.20`,
          ),
          401,
        )
      expectProblem(
        await loginFrom(pReq, { username: 'n9', password: 'guess-1234' }, '10.10.0.1', '9.9.9.9, 198.51.100.20'),
        429,
      )
      // another real client behind the same proxy is not locked out
      expectProblem(
        await loginFrom(pReq, { username: 'n9', password: 'guess-1234' }, '10.10.0.1', '198.51.100.21'),
        401,
      )
    })

    test(
      'per address: a flood of failed logins over many ' + 'usernames from one address is 429, other addresses are not',
      async () => {
        const t = authTestApp()
        const req = requester('auth', t.app)
        const u = await t.user()
        passwords.push(u.password)
        let first429 = -1
        for (let i = 0; i < 25; i++) {
          const r = await req('POST', '/api/v1/auth/login', {
            body: { username: `nobody_${i}`, password: 'guess-123456' },
            address: '203.0.113.7',
          })
          if (r.status === 429 && first429 < 0) first429 = i
          if (r.status === 429) expect(Number(r.headers.get('Retry-After'))).toBeGreaterThan(0)
          else expectProblem(r, 401, 'INVALID_CREDENTIALS')
        }
        expect(first429).toBe(20) // the default: 20 failures per address in the window
        expectProblem(
          await loginFrom(req, { username: u.username, password: u.password }, '203.0.113.7'),
          429,
          'TOO_MANY_ATTEMPTS',
        )
        expect((await loginFrom(req, { username: u.username, password: u.password }, '198.51.100.1')).status).toBe(200)
      },
    )
  })
})

// =============================================================================================
describe('API3 broken object property level authorization: mass assignment has no effect', () => {
  test('auth: role, id, timestamps and a hash at registration and on PUT /users/me', async () => {
    const a = buildAuth()
    const req = requester('auth', a.app)
    const password = `pw-${crypto.randomUUID()}`
    passwords.push(password)
    const id = crypto.randomUUID()
    const reg = await req('POST', '/api/v1/auth/register', {
      body: {
        username: 'mallory',
        email: 'mallory@example.com',
        password,
        role: 'ADMIN',
        id,
        created_at: '2000-01-01T00:00:00Z',
        version: 99,
        password_hash: '$2b$04$forged',
        is_admin: true,
      },
    })
    expect(reg.status).toBe(201)
    expect(reg.body.role).toBe('USER')
    expect(reg.body.id).not.toBe(id)
    expect(reg.body.created_at).not.toStartWith('2000')
    expect((await a.store.users.byId(reg.body.id))?.passwordHash).not.toBe('$2b$04$forged')
    const token = (await req('POST', '/api/v1/auth/login', { body: { username: 'mallory', password } })).body
      .access_token
    expectProblem(await req('GET', '/api/v1/users', { token }), 403, 'FORBIDDEN')

    const put = await req('PUT', '/api/v1/users/me', {
      token,
      body: {
        role: 'ADMIN',
        id,
        full_name: 'M',
        password_hash: '$2b$04$forged',
        version: 1,
        created_at: '2000-01-01T00:00:00Z',
      },
    })
    expect(put.status).toBe(200)
    expect(put.body).toMatchObject({ id: reg.body.id, role: 'USER', full_name: 'M', created_at: reg.body.created_at })
    expect((await a.store.users.byId(reg.body.id))?.role).toBe('USER')
    expectProblem(await req('GET', '/api/v1/users', { token }), 403, 'FORBIDDEN')
    expect((await req('POST', '/api/v1/auth/login', { body: { username: 'mallory', password } })).status).toBe(200)
    // the events carry the real values too
    expect(
      (a.store as ReturnType<typeof memoryAuthStore>).published.every(
        (e) => (e.data as { role?: string }).role !== 'ADMIN',
      ),
    ).toBe(true)
  })

  test(
    'order: user_id, status, total, unit_price, price, name, line_total and sku in a new order are ' + 'ignored',
    async () => {
      const { t, req, alice, bob, p } = await orderWorld({ price: '12.50', name: 'Real name', sku: 'REAL-1' })
      const r = await req('POST', '/api/v1/order', {
        token: alice.token,
        body: {
          user_id: bob.id,
          status: 'paid',
          total: '0.01',
          total_quantity: 1,
          id: 1,
          items: [
            {
              product_id: p.id,
              quantity: 2,
              unit_price: '0.01',
              price: '0.01',
              name: 'Free',
              line_total: '0.01',
              sku: 'FREE',
            },
          ],
        },
      })
      expect(r.status).toBe(201)
      expect(r.body).toMatchObject({ user_id: alice.id, status: 'pending', total: '25.00', total_quantity: 2 })
      expect(r.body.items).toEqual([
        { product_id: p.id, name: 'Real name', unit_price: '12.50', quantity: 2, line_total: '25.00', sku: 'REAL-1' },
      ])
      const placed = t.published.find((e) => e.type === 'order.placed')!
      expect((placed.data as { user_id: string }).user_id).toBe(alice.id)
      // bob does not own it
      expectProblem(await req('GET', `/api/v1/order/${r.body.id}`, { token: bob.token }), 404)
    },
  )

  test(
    'order: an owner asking for a status beyond cancel is refused (403, ' +
      'nothing changes); total, user_id or prices on an update do nothing',
    async () => {
      const { t, req, alice, bob, p } = await orderWorld({ price: '3.00' })
      const pending = await t.order(alice.token, [{ product_id: p.id, quantity: 1 }])
      const confirmed = await t.order(alice.token, [{ product_id: p.id, quantity: 1 }])
      await t.reserve(confirmed.id)
      for (const [o, status] of [
        [pending, 'pending'],
        [confirmed, 'confirmed'],
      ] as const) {
        for (const target of ['pending', 'confirmed', 'paid', 'shipped', 'delivered', 'rejected']) {
          const r = await req('PUT', `/api/v1/update_order/${o.id}`, { token: alice.token, body: { status: target } })
          expect({ target, status: r.status, code: r.body?.code }).toEqual({
            target,
            status: 403,
            code: 'STATUS_CHANGE_FORBIDDEN',
          })
          expect((await req('GET', `/api/v1/order/${o.id}`, { token: alice.token })).body.status).toBe(status)
        }
      }
      expect(t.published.filter((e) => e.type !== 'order.placed')).toEqual([])
      const r = await req('PUT', `/api/v1/update_order/${pending.id}`, {
        token: alice.token,
        body: {
          user_id: bob.id,
          total: '0.01',
          items: [{ product_id: p.id, quantity: 3, unit_price: '0.01', line_total: '0.01' }],
        },
      })
      expect(r.status).toBe(200)
      expect(r.body).toMatchObject({ user_id: alice.id, total: '9.00', status: 'pending' })
      expect(r.body.items[0]).toMatchObject({ unit_price: '3.00', line_total: '9.00' })
      expect((await req('GET', `/api/v1/order/${pending.id}`, { token: alice.token })).body.status).toBe('pending')
      expect((await req('GET', `/api/v1/order/${confirmed.id}`, { token: alice.token })).body.status).toBe('confirmed')
    },
  )

  test(
    'order: an admin sending items or shipping_address for ' +
      "someone else's order is refused (403), and nothing changes",
    async () => {
      const { t, req, alice, admin, p } = await orderWorld({ price: '3.00' })
      const o = await t.order(alice.token, [{ product_id: p.id, quantity: 1 }], { shipping_address: 'Alice St' })
      for (const body of [
        { items: [{ product_id: p.id, quantity: 7 }] },
        { shipping_address: 'Admin St' },
        { status: 'cancelled', shipping_address: null },
      ]) {
        expectProblem(
          await req('PUT', `/api/v1/update_order/${o.id}`, { token: admin.token, body }),
          403,
          'ORDER_EDIT_FORBIDDEN',
        )
      }
      expect((await req('GET', `/api/v1/order/${o.id}`, { token: alice.token })).body).toEqual(o)
      expect(t.published.filter((e) => e.type !== 'order.placed')).toEqual([])
    },
  )

  test('catalog: id, version, level and timestamps in category and product writes are ignored', async () => {
    const t = catalogTestApp()
    const req = requester('catalog', t.app)
    const admin = (method: string, path: string, body: unknown) => req(method, path, { token: ADMIN, body })
    const junk = {
      id: 999,
      version: 99,
      level: 7,
      created_at: '2000-01-01T00:00:00.000Z',
      updated_at: '2000-01-01T00:00:00.000Z',
      path: [{ id: 5 }],
      children: [{ id: 6 }],
    }
    const root = await admin('POST', '/api/v1/category', { name: 'Root', ...junk })
    expect(root.status).toBe(201)
    expect(root.body).toMatchObject({ id: 1, level: 0, parent_id: null })
    expect(root.body.created_at).not.toStartWith('2000')
    const moved = await admin('PUT', `/api/v1/category/${root.body.id}`, { description: 'd', ...junk, id: 2 })
    expect(moved.body).toMatchObject({ id: 1, level: 0, created_at: root.body.created_at })
    const prod = await admin('POST', '/api/v1/product', {
      name: 'P',
      price: '4.00',
      category_id: 1,
      ...junk,
      category: { id: 42, name: 'x', level: 9 },
    })
    expect(prod.status).toBe(201)
    expect(prod.body).toMatchObject({ id: 1, price: '4.00', category: { id: 1, name: 'Root', level: 0 } })
    expect(prod.body.created_at).not.toStartWith('2000')
    const put = await admin('PUT', `/api/v1/product/${prod.body.id}`, { price: '5.00', ...junk, id: 77 })
    expect(put.body).toMatchObject({ id: 1, price: '5.00', created_at: prod.body.created_at })
    expect((await req('GET', '/api/v1/product/77')).status).toBe(404)
    const versions = t.published
      .filter((e) => e.type.startsWith('product.'))
      .map((e) => [e.type, (e.data as { version: number }).version])
    expect(versions).toEqual([
      ['product.created', 1],
      ['product.updated', 2],
    ])
  })
})

// =============================================================================================
describe('API4 unrestricted resource consumption', () => {
  test('limit above 100 is 422 on every list endpoint (found in /openapi.json)', async () => {
    const a = buildAuth()
    const aReq = requester('auth', a.app)
    const admin = await authUser(a, aReq, 'ADMIN')
    passwords.push(admin.password)
    const c = catalogTestApp()
    await c.category('Root')
    const o = orderTestApp()
    const user = await o.user()
    const apps = [
      { name: 'auth', app: a.app, req: aReq, token: admin.token },
      { name: 'catalog', app: c.app, req: requester('catalog', c.app), token: undefined },
      { name: 'order', app: o.app, req: requester('order', o.app), token: user.token },
    ]
    const listed: string[] = []
    for (const s of apps) {
      const lists = (await operations(s.app)).filter(
        (x) => x.method === 'GET' && x.queryParams.some((q) => q.name === 'limit'),
      )
      for (const l of lists) {
        listed.push(`${s.name} ${opName(l)}`)
        const path = fillPath(l.path, { id: '1' })
        const auth = s.token ? { token: s.token } : {}
        for (const q of [
          'limit=101',
          'limit=1000000',
          'limit=99999999999999999999',
          'limit=0',
          'limit=-1',
          'offset=-1',
          'offset=1000000001',
          'limit=1e3',
          'limit=100&limit=100',
        ]) {
          const r = await s.req('GET', `${path}?${q}`, auth)
          expect({ op: `${s.name} ${opName(l)}`, q, status: r.status, issues: problemIssues(r) }).toEqual({
            op: `${s.name} ${opName(l)}`,
            q,
            status: 422,
            issues: [],
          })
        }
        expect((await s.req('GET', `${path}?limit=100`, auth)).status).toBe(200)
      }
    }
    expect(listed).toEqual(
      expect.arrayContaining([
        'auth GET /api/v1/users',
        'catalog GET /api/v1/categories',
        'catalog GET /api/v1/products',
        'catalog GET /api/v1/products_with_category/{id}',
        'order GET /api/v1/orders',
      ]),
    )
  })

  test('a body over the limit is 413 on every operation that takes one, and writes nothing', async () => {
    const limit = 1024
    const big = {
      name: 'x'.repeat(4000),
      username: 'x'.repeat(4000),
      items: Array.from({ length: 200 }, (_, i) => ({ product_id: i + 1, quantity: 1 })),
    }
    const a = buildAuth({ bodyLimit: limit })
    const aReq = requester('auth', a.app)
    const admin = await authUser(a, aReq, 'ADMIN')
    passwords.push(admin.password)
    const c = buildCatalog({ bodyLimit: limit })
    const cat = await c.core.commands.createCategory({ name: 'Root' })
    if (!cat.ok) throw new Error('seed')
    const o = buildOrder({ bodyLimit: limit })
    await seedOrderProduct(o.application, 1)
    const owner = person('USER')
    const oReq = requester('order', o.app)
    await oReq('POST', '/api/v1/order', {
      token: await tokens.valid(owner),
      body: { items: [{ product_id: 1, quantity: 1 }] },
    })
    const apps = [
      { name: 'auth', app: a.app, req: aReq, token: admin.token, id: admin.id, store: a.store },
      {
        name: 'catalog',
        app: c.app,
        req: requester('catalog', c.app),
        token: await tokens.valid(person('ADMIN')),
        id: '1',
        store: c.store,
      },
      { name: 'order', app: o.app, req: oReq, token: await tokens.valid(owner), id: '1', store: o.store },
    ]
    const covered: string[] = []
    for (const s of apps) {
      const snap = snapshotter(s.store)
      const before = snap()
      for (const op of (await operations(s.app)).filter((x) => x.bodySchema)) {
        covered.push(`${s.name} ${opName(op)}`)
        const path = fillPath(op.path, { id: s.id })
        for (const headers of [
          { 'Content-Type': 'application/json' },
          { 'Content-Type': 'application/json', 'Content-Length': String(JSON.stringify(big).length) },
        ] as Record<string, string>[]) {
          const r = await s.req(op.method, path, { token: s.token, raw: JSON.stringify(big), headers })
          expect({
            op: `${s.name} ${opName(op)}`,
            status: r.status,
            issues: problemIssues(r),
            code: r.body?.code,
          }).toEqual({
            op: `${s.name} ${opName(op)}`,
            status: 413,
            issues: [],
            code: 'BODY_TOO_LARGE',
          })
        }
      }
      expect(snapshotDiff(before, snap())).toEqual([])
    }
    expect(covered.length).toBeGreaterThanOrEqual(10)
  })

  test(
    'orders: more than 100 lines, ' + 'a quantity above 1000 (alone or merged) are 422; 100 lines and 1000 pass',
    async () => {
      const { t, req, alice: u, p } = await orderWorld({ price: '1.00' })
      const ids = [p.id]
      for (let i = 1; i < 101; i++) ids.push((await t.product({ price: '1.00' })).id)
      const snap = snapshotter(t.store)
      const before = snap()
      const lines = (n: number, q = 1) => ids.slice(0, n).map((product_id) => ({ product_id, quantity: q }))
      const refused = [
        { items: lines(101) },
        { items: [{ product_id: ids[0], quantity: 1001 }] },
        {
          items: [
            { product_id: ids[0], quantity: 600 },
            { product_id: ids[0], quantity: 600 },
          ],
        },
        { items: [{ product_id: ids[0], quantity: 1e9 }] },
        { items: [{ product_id: ids[0], quantity: 0 }] },
        { items: Array.from({ length: 5000 }, () => ({ product_id: ids[0], quantity: 1 })) },
      ]
      for (const body of refused) expectProblem(await req('POST', '/api/v1/order', { token: u.token, body }), 422)
      expect(snapshotDiff(before, snap())).toEqual([])
      const okOrder = await req('POST', '/api/v1/order', { token: u.token, body: { items: lines(100) } })
      expect(okOrder.status).toBe(201)
      expect(
        (
          await req('POST', '/api/v1/order', {
            token: u.token,
            body: { items: [{ product_id: ids[0], quantity: 1000 }] },
          })
        ).status,
      ).toBe(201)
      // and the same limits on an update
      const mid = snap()
      for (const body of refused)
        expectProblem(await req('PUT', `/api/v1/update_order/${okOrder.body.id}`, { token: u.token, body }), 422)
      expect(snapshotDiff(mid, snap())).toEqual([])
    },
  )
})

// =============================================================================================
const api5 = await (async () => {
  const admins: Record<string, string[]> = {}
  const users = replica()
  const demoted = person('ADMIN')
  await users.created(demoted)
  await users.updated({ ...demoted, role: 'USER' })

  const a = buildAuth()
  const aReq = requester('auth', a.app)
  const aAdmin = await authUser(a, aReq, 'ADMIN')
  const aUser = await authUser(a, aReq)
  const victim = await authUser(a, aReq)
  passwords.push(aAdmin.password, aUser.password, victim.password)
  const c = buildCatalog({ replica: users })
  const cat = await c.core.commands.createCategory({ name: 'Root' })
  if (!cat.ok) throw new Error('seed')
  await c.core.commands.createProduct({ name: 'P', price: '1.00', stock: 1, categoryId: cat.value.id })
  const o = buildOrder({ replica: users })

  const services = [
    { name: 'auth', app: a.app, req: aReq, store: a.store, id: victim.id, userTokens: [aUser.token] },
    {
      name: 'catalog',
      app: c.app,
      req: requester('catalog', c.app),
      store: c.store,
      id: '1',
      userTokens: [await tokens.valid(person('USER')), await tokens.valid(demoted)],
    },
    {
      name: 'order',
      app: o.app,
      req: requester('order', o.app),
      store: o.store,
      id: '1',
      userTokens: [await tokens.valid(person('USER'))],
    },
  ]
  for (const s of services) admins[s.name] = (await operations(s.app)).filter((x) => x.adminOnly).map(opName)
  return { admins, services, aReq, aUser }
})()

describe('API5 broken function level authorization', () => {
  const { admins, services, aReq, aUser } = api5

  test('the admin-only operations, derived from /openapi.json (a 403 for the role), include the known ones', () => {
    expect(admins.auth).toEqual(expect.arrayContaining(KNOWN_ADMIN_ONLY.auth))
    expect(admins.catalog).toEqual(expect.arrayContaining(KNOWN_ADMIN_ONLY.catalog))
    // PUT /users/me documents a 403 too, for a wrong current_password: not a role gate
    expect(admins.auth).not.toContain('PUT /api/v1/users/me')
    // order has no admin-only operation: what only an admin may do there (other users' orders,
    // the status machine) is object- and property-level, tested under API1 and API3
    expect(admins.order).toEqual([])
    expect(Object.values(admins).flat().length).toBeGreaterThanOrEqual(9)
  })

  for (const s of services) {
    test(
      `${s.name}: every admin operation is 403 for a USER (also one whose role ` +
        `was lowered after the token) and 401 without a token; nothing written`,
      async () => {
        const ops = (await operations(s.app)).filter((x) => x.adminOnly)
        const snap = snapshotter(s.store)
        const before = snap()
        const failures: string[] = []
        const bodies: Record<string, unknown> = {
          'PUT /api/v1/users/{id}/role': { role: 'ADMIN' },
          'POST /api/v1/category': { name: 'X' },
          'PUT /api/v1/category/{id}': { name: 'Y' },
          'POST /api/v1/product': { name: 'P', price: '1.00', category_id: 1 },
          'PUT /api/v1/product/{id}': { price: '0.01' },
        }
        for (const op of ops) {
          const path = fillPath(op.path, { id: s.id })
          const body = op.bodySchema ? { body: bodies[opName(op)] ?? {} } : {}
          for (const token of s.userTokens) {
            const r = await s.req(op.method, path, { ...body, token })
            if (r.status !== 403 || r.body?.code !== 'FORBIDDEN' || problemIssues(r).length)
              failures.push(`${opName(op)} as USER: ${r.status}`)
          }
          const anon = await s.req(op.method, path, body)
          if (anon.status !== 401 || problemIssues(anon).length)
            failures.push(`${opName(op)} without a token: ${anon.status}`)
        }
        expect(failures).toEqual([])
        expect(snapshotDiff(before, snap())).toEqual([])
      },
    )
  }

  test('auth: a USER cannot promote themselves (PUT /users/{own id}/role is 403)', async () => {
    expectProblem(
      await aReq('PUT', `/api/v1/users/${aUser.id}/role`, { token: aUser.token, body: { role: 'ADMIN' } }),
      403,
      'FORBIDDEN',
    )
    expect((await aReq('GET', '/api/v1/users/me', { token: aUser.token })).body.role).toBe('USER')
  })
})

// =============================================================================================
describe('API8 security misconfiguration', () => {
  const secret = 'internal: relation "users" does not exist at /srv/app/secret.ts:42'
  const cases = [
    {
      name: 'auth',
      build: (log: ReturnType<typeof capturingLogger>['log'], error: unknown) =>
        buildAuth({ log, store: failing(memoryAuthStore(), ['users', 'byUsername'], error) }),
      request: ['POST', '/api/v1/auth/login', { body: { username: 'someone', password: 'whatever-123' } }] as const,
    },
    {
      name: 'catalog',
      build: (log: ReturnType<typeof capturingLogger>['log'], error: unknown) =>
        buildCatalog({ log, store: failing(memoryCatalogStore(), ['products', 'list'], error) }),
      request: ['GET', '/api/v1/products?q=x', {}] as const,
    },
    {
      name: 'order',
      build: (log: ReturnType<typeof capturingLogger>['log'], error: unknown) =>
        buildOrder({ log, store: failing(memoryOrderStore(), ['orders', 'list'], error) }),
      request: ['GET', '/api/v1/orders', {}] as const,
    },
  ]
  for (const c of cases) {
    test(
      `${c.name}: a failing store gives a generic 500 in problem+json, ` + `no stack or message; the log has it all`,
      async () => {
        for (const error of [new Error(secret), new TypeError(secret), secret, { message: secret }]) {
          const { log, lines } = capturingLogger(c.name)
          const { app } = c.build(log, error)
          const [method, path, opts] = c.request
          const r = await requester(c.name, app)(method, path, {
            ...opts,
            token: await tokens.valid(person('USER')),
            headers: { 'X-Request-Id': 'req-500' },
          })
          expect(r.status).toBe(500)
          expect(problemIssues(r)).toEqual([])
          expect(r.body.code).toBe('INTERNAL_ERROR')
          expect(r.body.detail).toBe('an unexpected error occurred; quote the request id when reporting it')
          expect(r.text).not.toContain('does not exist')
          expect(r.text).not.toContain('secret.ts')
          expect(r.text).not.toMatch(/\bat\s+\S+\s+\(|\bat\s+\/|\.ts:\d+/)
          expect(Object.keys(r.body).sort()).toEqual([
            'code',
            'detail',
            'instance',
            'request_id',
            'status',
            'title',
            'type',
          ])
          expect(r.headers.get('X-Request-Id')).toBe('req-500')
          const logged = lines.find((l) => l.level === 'error')
          expect(logged?.request_id).toBe('req-500')
          expect(JSON.stringify(logged)).toContain('does not exist')
        }
      },
    )
  }

  /**
   * A path each service takes a cross-origin POST on: auth's login (Swagger UI's Authorize), a create on the others.
   */
  const writePath = (name: string): string =>
    ({ auth: '/api/v1/auth/login', catalog: '/api/v1/category', order: '/api/v1/order' })[name] ??
    `/no-such-service-${name}`

  test('every service: no CORS headers unless configured, on simple requests and preflights', async () => {
    for (const { name, app } of [
      { name: 'auth', app: buildAuth().app },
      { name: 'catalog', app: buildCatalog().app },
      { name: 'order', app: buildOrder().app },
    ]) {
      const req = requester(name, app)
      const simple = await req('GET', '/health', { headers: { Origin: 'https://evil.example' } })
      const pre = await req('OPTIONS', '/health', {
        headers: {
          Origin: 'https://evil.example',
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'Authorization',
        },
      })
      for (const r of [simple, pre]) {
        expect(r.headers.get('Access-Control-Allow-Origin')).toBeNull()
        expect(r.headers.get('Access-Control-Allow-Credentials')).toBeNull()
        expect(r.headers.get('Access-Control-Allow-Methods')).toBeNull()
      }
    }
  })

  test('every service: with CORS_ORIGINS only those origins are echoed, never *, also on errors', async () => {
    const corsOrigins = ['https://shop.example', 'http://localhost:3000']
    const apps = [
      { name: 'auth', app: buildAuth({ corsOrigins }).app },
      { name: 'catalog', app: buildCatalog({ corsOrigins }).app },
      { name: 'order', app: buildOrder({ corsOrigins }).app },
    ]
    for (const { name, app } of apps) {
      const req = requester(name, app)
      for (const origin of corsOrigins) {
        const r = await req('GET', '/health', { headers: { Origin: origin } })
        expect(r.headers.get('Access-Control-Allow-Origin')).toBe(origin)
        expect(r.headers.get('Vary')).toContain('Origin')
        const pre = await req('OPTIONS', '/health', {
          headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT' },
        })
        expect(pre.headers.get('Access-Control-Allow-Origin')).toBe(origin)
        expect(pre.headers.get('Access-Control-Allow-Methods')).toContain('PUT')
        const err = await req('GET', '/nope', { headers: { Origin: origin } })
        expect(err.status).toBe(404)
        expect(err.headers.get('Access-Control-Allow-Origin')).toBe(origin)
        // Swagger UI's Authorize on another service's /docs: a POST to auth's login with Accept and
        // X-Requested-With (besides what a client of the API sends), which the browser asks about first.
        const asked = ['accept', 'authorization', 'content-type', 'idempotency-key', 'x-request-id', 'x-requested-with']
        const login = await req('OPTIONS', writePath(name), {
          headers: {
            Origin: origin,
            'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': asked.join(','),
          },
        })
        expect({ name, status: login.status, acao: login.headers.get('Access-Control-Allow-Origin') }).toEqual({
          name,
          status: 204,
          acao: origin,
        })
        const allowed = (login.headers.get('Access-Control-Allow-Headers') ?? '')
          .toLowerCase()
          .split(',')
          .map((h) => h.trim())
        expect({ name, missing: asked.filter((h) => !allowed.includes(h)) }).toEqual({ name, missing: [] })
        expect(login.headers.get('Access-Control-Allow-Methods')?.split(',')).toContain('POST')
        expect(login.headers.get('Access-Control-Allow-Credentials')).toBeNull()
      }
      for (const origin of [
        'https://evil.example',
        'https://shop.example.evil.example',
        'null',
        '*',
        'https://SHOP.example',
        'http://shop.example',
      ]) {
        for (const r of [
          await req('GET', '/health', { headers: { Origin: origin } }),
          await req('OPTIONS', '/health', { headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' } }),
          await req('GET', '/nope', { headers: { Origin: origin } }),
        ]) {
          expect({ name, origin, acao: r.headers.get('Access-Control-Allow-Origin') }).toEqual({
            name,
            origin,
            acao: null,
          })
        }
      }
      expect(seen.filter((s) => s.reply.headers.get('Access-Control-Allow-Origin') === '*')).toEqual([])
    }
  })

  test(
    'every service: CORS_ORIGINS=* written out is the one way to any origin ' +
      '(answered *, never with credentials); the config refuses what is not an origin',
    async () => {
      for (const { name, app } of [
        { name: 'auth', app: buildAuth({ corsOrigins: ['*'] }).app },
        { name: 'catalog', app: buildCatalog({ corsOrigins: ['*'] }).app },
        { name: 'order', app: buildOrder({ corsOrigins: ['*'] }).app },
      ]) {
        const req = requester(name, app)
        const pre = await req('OPTIONS', writePath(name), {
          headers: {
            Origin: 'https://any.example',
            'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': 'x-requested-with',
          },
        })
        expect({
          name,
          acao: pre.headers.get('Access-Control-Allow-Origin'),
          credentials: pre.headers.get('Access-Control-Allow-Credentials'),
        }).toEqual({ name, acao: '*', credentials: null })
      }
      const loaders = { auth: loadAuthConfig, catalog: loadCatalogConfig, order: loadOrderConfig }
      for (const [name, load] of Object.entries(loaders)) {
        const accepts = (origins: string) => {
          try {
            const env = { JWT_SECRET: 'x'.repeat(32), ...keys.env(name as 'auth'), CORS_ORIGINS: origins }
            return load(env).CORS_ORIGINS === origins
          } catch (e) {
            expect((e as Error).message).toContain('CORS_ORIGINS must be origins')
            return false
          }
        }
        const good = ['http://localhost:8001', 'https://shop.example, http://127.0.0.1:8002', '*']
        const bad = [
          'http://localhost:8001/',
          'https://shop.example/docs',
          'shop.example',
          'ftp://shop.example',
          'http://localhost:8001,null',
        ]
        expect({ name, good: good.map(accepts), bad: bad.map(accepts) }).toEqual({
          name,
          good: good.map(() => true),
          bad: bad.map(() => false),
        })
      }
    },
  )

  test('every config loader refuses a JWT_SECRET shorter than 32 bytes (bytes, not characters), or none', () => {
    const loaders = { auth: loadAuthConfig, catalog: loadCatalogConfig, order: loadOrderConfig }
    for (const [name, load] of Object.entries(loaders)) {
      const refuses = (secret: string | undefined) => {
        try {
          load(secret === undefined ? {} : { JWT_SECRET: secret })
          return false
        } catch (e) {
          return (e as Error).message.includes('JWT_SECRET')
        }
      }
      expect({ name, refused: [undefined, '', 'short', 'x'.repeat(31), '€'.repeat(10)].map(refuses) }).toEqual({
        name,
        refused: [true, true, true, true, true],
      })
      expect({ name, accepted: ['x'.repeat(32), '€'.repeat(11)].map((s) => !refuses(s)) }).toEqual({
        name,
        accepted: [true, true],
      })
    }
  })

  test(
    'every response carries X-Content-Type-Options: ' + 'nosniff; unknown paths and methods are problem+json',
    async () => {
      for (const { name, app } of [
        { name: 'auth', app: buildAuth().app },
        { name: 'catalog', app: buildCatalog().app },
        { name: 'order', app: buildOrder().app },
      ]) {
        const req = requester(name, app)
        for (const r of [
          await req('GET', '/health'),
          await req('GET', '/../../etc/passwd'),
          await req('PATCH', '/health'),
        ]) {
          expect(r.headers.get('X-Content-Type-Options')).toBe('nosniff')
          if (r.status >= 400) expect(problemIssues(r)).toEqual([])
        }
      }
    },
  )
})

// =============================================================================================
describe('API10 unsafe consumption of APIs: poison events are dead-lettered, handlers never see them', () => {
  const big = 'x'.repeat(1_100_000)

  /** Valid data of each type a queue takes (the ids refer to nothing in particular: validation comes first). */
  const validData = (type: EventType, n = 1): Record<string, unknown> => {
    const uuid = '7f2c4a52-8c1b-4a5e-9b0e-3f4d5e6f7a8b'
    switch (type) {
      case 'user.created':
      case 'user.updated':
        return { id: uuid, username: 'eve', email: 'eve@example.com', role: 'ADMIN', version: n }
      case 'user.deleted':
        return { id: uuid, version: n }
      case 'product.created':
      case 'product.updated':
        return { id: n, name: 'p', price: '1.00', stock: 1, category_id: 1, version: n }
      case 'product.deleted':
        return { id: n, version: n }
      case 'order.placed':
        return { order_id: n, user_id: uuid, items: [{ product_id: 1, quantity: 1 }] }
      case 'order.cancelled':
        return { order_id: n, items: [{ product_id: 1, quantity: 1 }] }
      case 'stock.reserved':
        return { order_id: n }
      case 'stock.rejected':
        return { order_id: n, reason: 'none', product_ids: [1] }
    }
  }
  const envelopeOf = (type: string, data: unknown, extra: Record<string, unknown> = {}) => ({
    id: crypto.randomUUID(),
    type,
    version: 1,
    occurred_at: new Date().toISOString(),
    source: 'catalog',
    correlation_id: null,
    data,
    ...extra,
  })
  const TEXT_FIELDS = new Set(['username', 'name', 'reason'])
  const wrongTypes = (data: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(data).map(([k, v]) => [
        k,
        typeof v === 'number' ? String(v) : typeof v === 'string' ? 42 : Array.isArray(v) ? 'not a list' : v,
      ]),
    )

  /** Poison for one topic of a queue: each must be dead at once. */
  const poison = (topic: EventType, otherTopic: EventType): [string, string][] => {
    const data = validData(topic)
    const { data: _d, ...withoutData } = envelopeOf(topic, data)
    return [
      ['malformed JSON', '{"id": "x", "type": '],
      ['not an object', '[1, 2, 3]'],
      ['null', 'null'],
      ['empty', ''],
      ['a string field over 1 MB (correlation_id)', JSON.stringify(envelopeOf(topic, data, { correlation_id: big }))],
      ['a string field over 1 MB (in data)', JSON.stringify(envelopeOf(topic, { ...data, padding: big }))],
      ['an unknown field over 1 MB', JSON.stringify(envelopeOf(topic, data, { padding: big }))],
      ['wrongly typed data', JSON.stringify(envelopeOf(topic, wrongTypes(data)))],
      [
        'a NUL in a string (correlation_id)',
        JSON.stringify(envelopeOf(topic, data, { correlation_id: 'req-\u0000-1' })),
      ],
      ...(Object.keys(data).some((k) => TEXT_FIELDS.has(k))
        ? [
            [
              'a NUL in a text field of data',
              JSON.stringify(
                envelopeOf(
                  topic,
                  Object.fromEntries(
                    Object.entries(data).map(([k, v]) => [k, TEXT_FIELDS.has(k) ? `${String(v)}\u0000x` : v]),
                  ),
                ),
              ),
            ] as [string, string],
          ]
        : []),
      ['data that is not an object', JSON.stringify(envelopeOf(topic, 'oops'))],
      ['an unknown type', JSON.stringify(envelopeOf('product.exploded', data))],
      ['a known type this queue does not take', JSON.stringify(envelopeOf(otherTopic, validData(otherTopic)))],
      ['no data', JSON.stringify(withoutData)],
      ['another envelope version', JSON.stringify(envelopeOf(topic, data, { version: 2 }))],
      ['an unknown source', JSON.stringify(envelopeOf(topic, data, { source: 'evil' }))],
      ['a non-UUID id', JSON.stringify(envelopeOf(topic, data, { id: "1' or '1'='1" }))],
      [
        '__proto__ in data',
        `{"id":"${crypto.randomUUID()}","type":"${topic}","version":1,"occurred_at":"${new Date().toISOString()}",` +
          `"source":"auth","correlation_id":null,"data":{"__proto__":{"polluted":true}}}`,
      ],
    ]
  }

  /**
   * A service's consumers over its `store` and `users` (its user replica): `subs(called)` is what `make` builds,
   * each handler noting in `called` the envelopes it is handed; `snap` photographs the store and the replica.
   */
  const consuming = (
    name: string,
    store: object,
    users: ReturnType<typeof memoryUserReplica>,
    make: () => Subscription[],
  ) => ({
    name,
    subs: (called: Envelope[]) =>
      make().map((s) => ({
        ...s,
        handler: async (e: Envelope) => {
          called.push(e)
          return s.handler(e)
        },
      })),
    snap: snapshotter(store, [users.rows]),
  })
  const [catalogStore, catalogUsers] = [memoryCatalogStore(), memoryUserReplica()]
  const catalogCore = buildCatalog({ store: catalogStore }).core
  const [orderStore, orderUsers] = [memoryOrderStore(), memoryUserReplica()]
  const orderApplication = buildOrder({ store: orderStore }).application
  const services = [
    consuming('catalog', catalogStore, catalogUsers, () => catalogSubscriptions(catalogCore, catalogUsers)),
    consuming('order', orderStore, orderUsers, () => orderSubscriptions(orderApplication, orderUsers)),
  ]

  /** One topic of each queue: for each queue, one of these it is not bound to is "a known type it does not take". */
  const every: EventType[] = ['user.created', 'product.created', 'order.placed', 'stock.reserved']
  for (const s of services) {
    test(
      `${s.name}: every queue dead-letters each kind of poison ` + `at once; the next valid message is processed`,
      async () => {
        const bus = new MemoryBus(keys.keyring, silentLogger, 2)
        const called: Envelope[] = []
        const subs = s.subs(called)
        for (const sub of subs) await bus.subscribe(sub)
        const before = s.snap()
        const expectedDead: Record<string, string[]> = {}
        for (const sub of subs) {
          const queue = `${sub.service}.${sub.name}`
          const other = every.find((t) => !sub.topics.includes(t))!
          for (const topic of sub.topics) {
            for (const [kind, body] of poison(topic, other)) {
              // signed by the topic's owner: the poison is in the content, past the signature
              const bytes = new TextEncoder().encode(body)
              bus.publishRaw(topic, bytes, { signature: await keys.signers[ownerOf(topic)].sign(bytes) })
              expectedDead[queue] ??= []
              expectedDead[queue].push(`${topic}: ${kind}`)
            }
          }
        }
        await bus.settled()
        expect(called.map((e) => `${e.type} ${e.id}`)).toEqual([])
        for (const [queue, kinds] of Object.entries(expectedDead))
          expect({ queue, dead: bus.dead.get(queue)?.length ?? 0 }).toEqual({ queue, dead: kinds.length })
        expect(snapshotDiff(before, s.snap())).toEqual([])
        expect(({} as Record<string, unknown>).polluted).toBeUndefined()
        // a valid message on each queue is still processed
        for (const sub of subs) {
          const topic = sub.topics[0]!
          await bus.publish(
            await keys.sign([
              makeEnvelope(
                ownerOf(topic),
                { type: topic, data: validData(topic, 5) } as never,
                'corr-ok',
                crypto.randomUUID(),
                new Date(),
              ),
            ]),
          )
        }
        await bus.settled()
        expect(called.map((e) => e.type).sort()).toEqual(subs.map((x) => x.topics[0]!).sort())
        for (const [queue, kinds] of Object.entries(expectedDead))
          expect(bus.dead.get(queue)?.length ?? 0).toBe(kinds.length)
      },
    )
  }
})

// =============================================================================================
describe('every response seen above', () => {
  afterAll(() => {
    seen.length = 0
  })
  test('no password, password field or hash in any response body of any endpoint exercised', () => {
    const leaks = seen
      .filter((s) => !s.path.startsWith('/openapi.json'))
      .flatMap((s) => secretLeaks(s.reply, passwords).map((l) => `${s.service} ${s.method} ${s.path}: ${l}`))
    expect(leaks).toEqual([])
    expect(seen.length).toBeGreaterThan(500)
    expect(passwords.length).toBeGreaterThan(5)
  })
  test('no 5xx except the deliberate ones of API8', () => {
    const fives = seen
      .filter((s) => s.reply.status >= 500 && s.reply.headers.get('X-Request-Id') !== 'req-500')
      .map((s) => `${s.service} ${s.method} ${s.path}: ${s.reply.status}`)
    expect(fives).toEqual([])
  })
})
