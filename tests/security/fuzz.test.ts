/**
 * Property-based fuzzing of the three HTTP apps over their memory adapters. For every operation
 * of each app's /openapi.json: random path parameters (real ids and hostile strings), random
 * query strings (known parameters with random values, repeats, junk), random bodies (values
 * shaped by the operation's schema, junk of every JSON kind, raw text, NUL, unicode, huge
 * numbers, __proto__ keys), random auth. Each run is a fresh world and a short sequence of
 * requests. Asserted for every response:
 *   - never a 5xx (nor an exception out of the app);
 *   - every 4xx is problem+json with status, title, detail and code (401 with WWW-Authenticate);
 *   - a 4xx wrote nothing: the store's tables, its committed events and its side state are as
 *     before (the documented exceptions: a failed login counts in the login throttle, and a
 *     registration that reached the use case, a 409 too, counts in the registration throttle);
 *   - no stored password hash in any body, no Object.prototype pollution.
 * Then the same requests against the PostgreSQL adapters on PGlite, where what memory accepts and
 * a database refuses (a NUL in text) shows as a 5xx; there only the first two are asserted.
 *
 * FUZZ_SEED, FUZZ_RUNS (memory, per service) and FUZZ_PG_RUNS (PGlite, per service) override the
 * fixed seed and the number of runs, e.g. `FUZZ_SEED=7 FUZZ_RUNS=5000 bun test tests/security/fuzz.test.ts`
 * to search further. A failure prints the seed, the shrunk counterexample and the request sequence.
 */
import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { call, type CallOptions, type Reply } from '@shop/platform/testing/http'
import { adapterDatabases } from '@shop/platform/testing/databases'
import { MIGRATIONS as AUTH_MIGRATIONS } from '../../auth/src/main.ts'
import { postgresAuthStore } from '../../auth/src/adapters/postgres/store.ts'
import type { AuthStore } from '../../auth/src/ports.ts'
import { newUser } from '../../auth/src/domain/user.ts'
import { MIGRATIONS as CATALOG_MIGRATIONS } from '../../catalog/src/main.ts'
import { postgresCatalogStore } from '../../catalog/src/adapters/postgres/store.ts'
import type { CatalogStore } from '../../catalog/src/ports.ts'
import { MIGRATIONS as ORDER_MIGRATIONS } from '../../order/src/main.ts'
import { postgresOrderStore } from '../../order/src/adapters/postgres/store.ts'
import type { OrderStore } from '../../order/src/ports.ts'
import { bcryptHasher } from '../../auth/src/adapters/security.ts'
import {
  type Operation,
  type ServiceName,
  buildAuth,
  buildCatalog,
  buildOrder,
  keysOf,
  operations,
  problemIssues,
  replica,
  seedOrderProduct,
  snapshotDiff,
  snapshotter,
  tokens,
} from './support.ts'

const SEED = Number(process.env.FUZZ_SEED ?? 424242)
const RUNS = Number(process.env.FUZZ_RUNS ?? 300)

// ---------------------------------------------------------------------------------------------
// Worlds: a fresh app with a few users, ids and tokens, for each run

type Who = 'none' | 'user' | 'admin' | 'other' | 'garbage' | 'expired'
type Ref = '$self' | '$other' | '$admin'

interface World {
  readonly app: Parameters<typeof call>[0]
  /** Memory stores only: a PostgreSQL world is checked for 5xx and problem shape, not for writes. */
  readonly snap?: ReturnType<typeof snapshotter>
  readonly tokens: Record<Who, string | undefined>
  readonly refs: Record<Ref, string>
  /** Stored hashes that must never come back. */
  readonly hashes: readonly string[]
}

const PASSWORD = 'password-123'
const passwordHash = bcryptHasher(4).hash(PASSWORD)
type Someone = { id: string; username: string; role: string }
const expired = (p: Someone) => tokens.valid(p, { iat: 1, exp: 2 })

/** A world's callers: nobody, its user, its admin, someone else, a garbage token, and `lapsed`'s expired token. */
async function callers(
  p: { user: Someone; admin: Someone; other: Someone },
  garbage: string,
  lapsed: Someone,
): Promise<Record<Who, string | undefined>> {
  return {
    none: undefined,
    user: await tokens.valid(p.user),
    admin: await tokens.valid(p.admin),
    other: await tokens.valid(p.other),
    garbage,
    expired: await expired(lapsed),
  }
}

async function authWorld(store?: AuthStore): Promise<World> {
  const a = buildAuth({ maxFailures: 3, maxPerAddress: 50, ...(store ? { store } : {}) })
  const people: Record<'user' | 'admin' | 'other', { id: string; username: string; role: 'USER' | 'ADMIN' }> =
    {} as never
  for (const who of ['user', 'admin', 'other'] as const) {
    // Straight into the store with a hash made once: three bcrypt runs per world would be most of the time.
    const role = who === 'admin' ? 'ADMIN' : 'USER'
    const user = newUser({
      id: crypto.randomUUID(),
      username: `fz_${who}`,
      email: `fz_${who}@example.com`,
      fullName: null,
      role,
      passwordHash: await passwordHash,
      now: new Date(),
    })
    const r = await a.store.transact((tx) => tx.users.insert(user))
    if (!r.ok) throw new Error('seed')
    people[who] = { id: user.id, username: user.username, role }
  }
  const hashes = await Promise.all(
    Object.values(people).map(async (p) => (await a.store.users.byId(p.id))!.passwordHash),
  )
  return {
    app: a.app,
    ...(store ? {} : { snap: snapshotter(a.store) }),
    tokens: await callers(people, 'garbage.garbage.garbage', people.admin),
    refs: { $self: people.user.id, $other: people.other.id, $admin: people.admin.id },
    hashes,
  }
}

async function catalogWorld(store?: CatalogStore): Promise<World> {
  const users = replica()
  const c = buildCatalog({ replica: users, ...(store ? { store } : {}) })
  const admin = { id: crypto.randomUUID(), username: 'fz_admin', role: 'ADMIN' as const }
  const user = { id: crypto.randomUUID(), username: 'fz_user', role: 'USER' as const }
  await users.created(admin)
  await users.created(user)
  const root = await c.core.commands.createCategory({ name: 'Root' })
  if (!root.ok) throw new Error('seed')
  const child = await c.core.commands.createCategory({
    name: 'Child',
    parentId: root.value.id,
    description: 'the child',
  })
  if (!child.ok) throw new Error('seed')
  await c.core.commands.createProduct({
    name: 'Lamp',
    price: '19.90',
    stock: 3,
    categoryId: child.value.id,
    description: 'bright',
  })
  await c.core.commands.createProduct({ name: 'Desk', price: '120.00', stock: 0, categoryId: root.value.id })
  return {
    app: c.app,
    ...(store ? {} : { snap: snapshotter(c.store, [users.rows]) }),
    tokens: await callers(
      { user, admin, other: { id: crypto.randomUUID(), username: 'stranger', role: 'ADMIN' } },
      'garbage',
      admin,
    ),
    refs: { $self: '1', $other: '2', $admin: '3' },
    hashes: [],
  }
}

async function orderWorld(store?: OrderStore): Promise<World> {
  const users = replica()
  const o = buildOrder({ replica: users, ...(store ? { store } : {}) })
  const user = { id: crypto.randomUUID(), username: 'fz_user', role: 'USER' as const }
  const other = { id: crypto.randomUUID(), username: 'fz_other', role: 'USER' as const }
  const admin = { id: crypto.randomUUID(), username: 'fz_admin', role: 'ADMIN' as const }
  for (const p of [user, other, admin]) await users.created(p)
  for (const id of [1, 2, 3]) await seedOrderProduct(o.application, id, `${id}.50`)
  const mine = await o.application.commands.placeOrder(user, {
    items: [{ productId: 1, quantity: 2 }],
    shippingAddress: 'Here 1',
  })
  const theirs = await o.application.commands.placeOrder(other, { items: [{ productId: 2, quantity: 1 }] })
  if (!mine.ok || !theirs.ok) throw new Error('seed')
  await o.application.events.onStockReserved(
    { orderId: theirs.value.order.id },
    { eventId: crypto.randomUUID(), correlationId: null },
  )
  return {
    app: o.app,
    ...(store ? {} : { snap: snapshotter(o.store, [users.rows]) }),
    tokens: await callers({ user, admin, other }, 'a.b.c', user),
    refs: { $self: String(mine.value.order.id), $other: String(theirs.value.order.id), $admin: '3' },
    hashes: [],
  }
}

const worlds: Record<ServiceName, () => Promise<World>> = {
  auth: () => authWorld(),
  catalog: () => catalogWorld(),
  order: () => orderWorld(),
}

/** The same worlds on PGlite (one database per service for the pass: opening and migrating costs). */
const pgWorlds: Record<ServiceName, () => Promise<World>> = {
  auth: async () => authWorld(postgresAuthStore(await pglite('auth', AUTH_MIGRATIONS))),
  catalog: async () => catalogWorld(postgresCatalogStore(await pglite('catalog', CATALOG_MIGRATIONS))),
  order: async () => orderWorld(postgresOrderStore(await pglite('order', ORDER_MIGRATIONS))),
}

async function pglite(name: string, migrations: string | readonly string[]) {
  const db = (await adapterDatabases(name, migrations)).find((d) => d.kind === 'pglite')!
  return db.open()
}

// ---------------------------------------------------------------------------------------------
// Values

const BIG = 'x'.repeat(5000)
const hostileStrings = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  'name\u0000',
  '\u0001\u0007\u001b[31m',
  '\u007f',
  '\t\n\r',
  '\ud800',
  '\udfff\ud800',
  '💥🔥',
  'é',
  'e\u0301',
  '\u202eevil',
  '\u200b',
  '\ufeff',
  'İ',
  'ß',
  "'; drop table users; --",
  '" or 1=1 --',
  '%',
  '%00',
  '%zz',
  '\\',
  '_%\\_',
  '<script>alert(1)</script>',
  '../../../etc/passwd',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-0',
  '1e999',
  '0x1f',
  '  padded  ',
  BIG,
  '$2b$04$abcdefghijklmnopqrstuv',
]
const hugeNumbers = [
  0,
  -0,
  -1,
  1,
  2,
  3,
  0.1,
  0.005,
  1.005,
  4.35,
  99.999,
  1e9,
  1e10,
  9999999999.99,
  1e15,
  2 ** 31,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 53 + 2,
  1e21,
  1e308,
  -1e308,
  Number.MIN_VALUE,
  -(2 ** 63),
]

const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...hostileStrings) },
  // what PostgreSQL refuses and memory does not: worth a good share of the tries
  { weight: 2, arbitrary: fc.constantFrom('\u0000', 'a\u0000b', 'x\u0000', '\u0000\u0000') },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((s) => `${s}\u0000${s}`) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
)

/** Objects with hostile keys, built so that "__proto__" is an own key (as JSON.parse makes it). */
const withKeys = (entries: [string, unknown][]) => {
  const o: Record<string, unknown> = {}
  for (const [k, v] of entries)
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true })
  return o
}
const hostileKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'role',
  'user_id',
  'id',
  'version',
  'status',
  'total',
  'price',
  'password_hash',
  'is_admin',
  '',
)

const junk: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom<unknown>(null, true, false, ...hugeNumbers),
    hostileString,
    fc.jsonValue({ maxDepth: 2 }),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.array(fc.tuple(fc.oneof(hostileKey, fc.string({ maxLength: 8 })), tie('value')), { maxLength: 3 }).map(withKeys),
  ),
})).value

type Ctx = { readonly service: ServiceName }

/**
 * What every generator below makes alike of a schema: one of its `anyOf` (each made by `each`), one
 * of its `enum`, null, a boolean; undefined for the rest, which each makes its own way.
 */
function sameForEvery(schema: any, each: (s: any) => fc.Arbitrary<unknown>): fc.Arbitrary<unknown> | undefined {
  if (schema.anyOf) return fc.oneof(...(schema.anyOf as any[]).map(each))
  if (schema.enum) return fc.constantFrom(...(schema.enum as unknown[]))
  if (schema.type === 'null') return fc.constant(null)
  if (schema.type === 'boolean') return fc.boolean()
  return undefined
}

/** Values that the schema would accept, or nearly: they reach the domain and the store. */
function plausible(schema: any, name: string, ctx: Ctx, depth = 0): fc.Arbitrary<unknown> {
  const byName = named(name, ctx)
  if (byName) return byName
  if (!schema || depth > 4) return junk
  const alike = sameForEvery(schema, (s) => plausible(s, name, ctx, depth + 1))
  if (alike) return alike
  switch (schema.type) {
    case 'integer': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : -1000
      const max = typeof schema.maximum === 'number' ? schema.maximum : 1000
      return fc.oneof(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31 - 1) }),
        fc.constantFrom(min, max, min - 1, max + 1),
      )
    }
    case 'number':
      return fc.oneof(
        fc.integer({ min: -2, max: 2000 }),
        fc.constantFrom(...hugeNumbers),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
      )
    case 'string':
      if (schema.format === 'uuid') return fc.oneof(fc.uuid(), fc.constantFrom('$self', '$other', '$admin'))
      return fc.oneof(fc.string({ minLength: 1, maxLength: Math.min(schema.maxLength ?? 40, 60) }), hostileString)
    case 'array': {
      const max = Math.min(schema.maxItems ?? 4, 4)
      return fc.oneof(
        { weight: 5, arbitrary: fc.array(plausible(schema.items, name, ctx, depth + 1), { maxLength: max }) },
        {
          weight: 1,
          arbitrary: fc.array(plausible(schema.items, name, ctx, depth + 1), {
            minLength: (schema.maxItems ?? 100) + 1,
            maxLength: (schema.maxItems ?? 100) + 1,
          }),
        },
      )
    }
    case 'object':
      return objectFor(schema, ctx, depth + 1)
  }
  return junk
}

/** Plausible values for the fields whose names say more than their JSON schema does. */
function named(name: string, ctx: Ctx): fc.Arbitrary<unknown> | undefined {
  switch (name) {
    case 'username':
      return fc.oneof(
        fc.constantFrom('fz_user', 'fz_admin', 'FZ_OTHER', 'fz_user@example.com', 'fz_admin@EXAMPLE.com'),
        fc.stringMatching(/^[A-Za-z0-9_.-]{3,12}$/),
        hostileString,
      )
    case 'email':
      return fc.oneof(
        fc.constantFrom('fz_other@example.com', 'FZ_USER@example.com'),
        fc.emailAddress(),
        hostileString.map((s) => `${s}@example.com`),
        hostileString,
      )
    case 'password':
    case 'current_password':
      return fc.oneof(
        fc.constant(PASSWORD),
        fc.string({ minLength: 8, maxLength: 20 }),
        fc.constant('€'.repeat(25)),
        hostileString,
      )
    case 'full_name':
    case 'name':
    case 'description':
    case 'shipping_address':
      return fc.oneof(
        fc.constantFrom('Root', 'child', 'Lamp', 'A name', 'Street 1\nTown', null),
        hostileString,
        fc.string({ maxLength: 30 }),
      )
    case 'price':
      return fc.oneof(
        fc.constantFrom(
          '10.00',
          '0.01',
          '19.9',
          '9999999999.99',
          '10000000000',
          '1.234',
          '-1',
          '0',
          '0.00',
          ' 1',
          '1e3',
          '１',
          12.5,
          0.001,
          1e10,
        ),
        fc.constantFrom(...hugeNumbers),
      )
    case 'token':
      return fc.constantFrom('$token', 'garbage', '', BIG)
    case 'role':
      return fc.constantFrom('USER', 'ADMIN', 'admin', 'ROOT', '')
    case 'product_id':
    case 'category_id':
    case 'parent_id':
      return fc.oneof(
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom(0, -1, 999_999_999_999_999, 1_000_000_000_000_000, 2 ** 53, 1.5, null, '1'),
      )
    case 'quantity':
      return fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constantFrom(0, -1, 1000, 1001, 500, 1e9, 1.5, '1'))
    case 'stock':
      return fc.oneof(fc.integer({ min: 0, max: 10 }), fc.constantFrom(-1, 2 ** 31, 1e12, 1.5, '3'))
  }
  void ctx
  return undefined
}

function objectFor(schema: any, ctx: Ctx, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const props = Object.entries((schema?.properties ?? {}) as Record<string, any>)
  const field = (name: string, s: any) =>
    fc.oneof({ weight: 8, arbitrary: plausible(s, name, ctx, depth) }, { weight: 1, arbitrary: junk })
  const fields = Object.fromEntries(props.map(([k, s]) => [k, field(k, s)]))
  const required = ((schema?.required ?? []) as string[]).filter((k) => k in fields)
  // Mostly with the required keys (to get past validation into the domain), sometimes any subset.
  const known = fc.oneof(
    { weight: 3, arbitrary: fc.record(fields, { requiredKeys: required }) },
    { weight: 1, arbitrary: fc.record(fields, { requiredKeys: [] }) },
  )
  const extra = fc.array(fc.tuple(hostileKey, junk), { maxLength: 2 })
  return fc.tuple(known, extra).map(([k, e]) => withKeys([...e, ...Object.entries(k)]))
}

/** Values the validators accept: bodies made of them reach the domain and the store (2xx, 404, 409). */
function valid(schema: any, name: string, depth = 0): fc.Arbitrary<unknown> {
  switch (name) {
    case 'username':
      return fc.oneof(
        fc.constantFrom('fz_user', 'fz_admin', 'FZ_OTHER', 'fz_user@example.com'),
        fc.stringMatching(/^[a-z0-9_]{3,12}$/),
      )
    case 'email':
      return fc.oneof(
        fc.constantFrom('fz_other@example.com', 'FZ_USER@example.com'),
        fc.stringMatching(/^[a-z]{1,8}@[a-z]{1,8}\.(com|org)$/),
      )
    case 'password':
      return fc.oneof(fc.constant(PASSWORD), fc.string({ minLength: 8, maxLength: 20 }))
    case 'current_password':
      return fc.oneof(fc.constant(PASSWORD), fc.string({ minLength: 1, maxLength: 20 }))
    case 'full_name':
    case 'description':
      return fc.oneof(fc.constant(null), fc.string({ maxLength: 30 }))
    case 'name':
      return fc.oneof(
        fc.constantFrom('Root', 'child', 'Lamp', 'Desk', 'ROOT'),
        fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ]{0,15}$/),
      )
    case 'shipping_address':
      return fc.oneof(
        fc.constant(null),
        fc.constantFrom('Here 1', 'Street 1\nTown'),
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ,.]{0,30}$/),
      )
    case 'price':
      return fc.constantFrom('10.00', '0.01', '19.9', '9999999999.99', 12.5, 1)
    case 'token':
      return fc.constant('$token')
    case 'product_id':
      return fc.integer({ min: 1, max: 3 })
    case 'category_id':
      return fc.integer({ min: 1, max: 2 })
    case 'parent_id':
      return fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 4 }))
    case 'quantity':
      return fc.integer({ min: 1, max: 5 })
    case 'stock':
      return fc.integer({ min: 0, max: 10 })
  }
  if (!schema || depth > 4) return fc.constant(null)
  const alike = sameForEvery(schema, (x) => valid(x, name, depth + 1))
  if (alike) return alike
  switch (schema.type) {
    case 'integer':
    case 'number':
      return fc.integer({ min: Math.max(schema.minimum ?? 0, 0), max: Math.min(schema.maximum ?? 10, 10) })
    case 'array':
      return fc.array(valid(schema.items, name, depth + 1), {
        minLength: Math.max(schema.minItems ?? 0, 1),
        maxLength: 3,
      })
    case 'object': {
      const props = Object.entries((schema.properties ?? {}) as Record<string, any>)
      const fields = Object.fromEntries(props.map(([k, x]) => [k, valid(x, k, depth + 1)]))
      return fc.record(fields, { requiredKeys: ((schema.required ?? []) as string[]).filter((k) => k in fields) })
    }
    default:
      return fc.string({ minLength: 1, maxLength: 20 })
  }
}

/** A valid value with one leaf (a field, a line's field) replaced: one bad field in an otherwise good request. */
function oneBad(schema: any): fc.Arbitrary<unknown> {
  const bad = fc.oneof(
    { weight: 3, arbitrary: hostileString },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(...hugeNumbers, null, true, [], {}) },
    { weight: 1, arbitrary: junk },
  )
  return fc.tuple(valid(schema, ''), fc.nat(), bad).map(([value, n, replacement]) => {
    const copy = structuredClone(value)
    const leaves: [Record<string | number, unknown>, string | number][] = []
    const walk = (x: unknown) => {
      if (Array.isArray(x))
        x.forEach((v, i) => {
          if (v !== null && typeof v === 'object') walk(v)
          else leaves.push([x as never, i])
        })
      else if (x && typeof x === 'object')
        for (const [k, v] of Object.entries(x))
          v !== null && typeof v === 'object' ? walk(v) : leaves.push([x as never, k])
    }
    walk(copy)
    const leaf = leaves.length ? leaves[n % leaves.length]! : undefined
    if (leaf) leaf[0][leaf[1]] = replacement
    return copy
  })
}

/** Every field name of every body of every service: for objects with known names and random values. */
const ALL_FIELDS = [
  'username',
  'email',
  'password',
  'full_name',
  'current_password',
  'token',
  'role',
  'name',
  'description',
  'parent_id',
  'price',
  'category_id',
  'stock',
  'items',
  'product_id',
  'quantity',
  'shipping_address',
  'status',
  'user_id',
  'total',
  'unit_price',
  'id',
  'version',
  'level',
]

const rawBodies = [
  '',
  ' ',
  '{',
  '{"a":',
  'nul',
  'null',
  '[]',
  '"x"',
  '42',
  '\u0000',
  '{"quantity":1e999}',
  '{"items":[{"product_id":1,"quantity":1e999}]}',
  '{"items":[{"product_id":1e999,"quantity":1}]}',
  '{"items":[{"product_id":-1e999,"quantity":1}]}',
  '{"name":"x","price":1e999,"category_id":1}',
  '{"name":"x","price":"1e999","category_id":1}',
  '{"name":"x","price":1,"category_id":1,"stock":1e999}',
  `{"price":1${'0'.repeat(400)}}`,
  `{"category_id":${'9'.repeat(400)}}`,
  '{"__proto__":{"isAdmin":true,"role":"ADMIN"},"username":"fz_user","password":"password-123"}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"name":"\\u0000"}',
  '{"name":"\\ud800"}',
  '{"username":"a","username":"fz_user","password":"password-123"}',
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`,
  '\ufeff{"name":"bom"}',
  'username=fz_user&password=password-123',
  'username=%00&password=x',
  'username=fz_user&username=fz_admin&password=password-123',
]

const contentTypes = [
  'application/json',
  'application/json; charset=utf-8',
  'application/problem+json',
  'APPLICATION/JSON',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'application/xml',
  '',
]

type Body =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown; type: string }
  | { kind: 'raw'; text: string; type: string }

function bodyArb(op: Operation, ctx: Ctx): fc.Arbitrary<Body> {
  const json = (value: fc.Arbitrary<unknown>) =>
    fc
      .tuple(
        value,
        fc.oneof(
          { weight: 8, arbitrary: fc.constant('application/json') },
          { weight: 1, arbitrary: fc.constantFrom(...contentTypes) },
        ),
      )
      .map(([v, type]) => ({ kind: 'json' as const, value: v, type }))
  const generic = fc.dictionary(fc.constantFrom(...ALL_FIELDS), junk, { maxKeys: 4 })
  const arbs: fc.WeightedArbitrary<Body>[] = [
    { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
    { weight: 2, arbitrary: json(junk) },
    { weight: 2, arbitrary: json(generic) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.oneof(fc.constantFrom(...rawBodies), fc.string({ unit: 'binary', maxLength: 50 })),
          fc.constantFrom(...contentTypes),
        )
        .map(([text, type]) => ({ kind: 'raw' as const, text, type })),
    },
  ]
  if (op.bodySchema) {
    arbs.push(
      { weight: 5, arbitrary: json(objectFor(op.bodySchema, ctx)) },
      { weight: 5, arbitrary: json(valid(op.bodySchema, '')) },
      { weight: 5, arbitrary: json(oneBad(op.bodySchema)) },
    )
  }
  if (op.bodySchema && op.op.requestBody?.content?.['application/x-www-form-urlencoded']) {
    arbs.push({
      weight: 2,
      arbitrary: fc
        .array(
          fc.tuple(
            fc.constantFrom('username', 'password', 'grant_type', 'scope', '__proto__'),
            fc.oneof(fc.constantFrom('fz_user', PASSWORD, 'password'), hostileString),
          ),
          { maxLength: 4 },
        )
        .map((pairs) => ({
          kind: 'raw' as const,
          text: pairs.map(([k, v]) => `${k}=${enc(v)}`).join('&'),
          type: 'application/x-www-form-urlencoded',
        })),
    })
  }
  return fc.oneof(...arbs)
}

const enc = (s: string) => encodeURIComponent(s.toWellFormed())

function queryArb(op: Operation): fc.Arbitrary<string> {
  const names = [
    ...op.queryParams.map((q) => q.name),
    'limit',
    'offset',
    'q',
    'user_id',
    'status',
    '__proto__',
    'constructor',
    'x',
  ]
  const value = (name: string) => {
    const spec = op.queryParams.find((q) => q.name === name)?.schema
    const fromSchema = spec?.enum
      ? fc.constantFrom(...(spec.enum as string[]))
      : fc.oneof(
          fc.integer({ min: -2, max: 120 }).map(String),
          fc.constantFrom(
            '$self',
            '$other',
            '0',
            '1',
            '100',
            '101',
            '1e2',
            '1.5',
            '99999999999999999999',
            '1000000001',
            '10.00',
            '0.01',
            'true',
            'false',
          ),
        )
    return fc.oneof(
      { weight: 3, arbitrary: fromSchema },
      { weight: 2, arbitrary: hostileString },
      { weight: 1, arbitrary: fc.uuid() },
    )
  }
  const pair = fc.oneof(...[...new Set(names)].map((n) => value(n).map((v) => [n, v] as const)))
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant('') },
    {
      weight: 6,
      arbitrary: fc
        .array(pair, { maxLength: 5 })
        .map((pairs) => pairs.map(([k, v]) => `${enc(k)}=${enc(String(v))}`).join('&')),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '%',
        '%zz',
        '&&&',
        '=',
        'limit',
        'limit=',
        'limit=%00',
        'q=%00',
        'q=%ff%fe',
        'a[b]=1',
        'limit[]=1',
        'limit=1&limit=2',
      ),
    },
  )
  // (ids in query values stay placeholders, resolved per world when sent)
}

const pathValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('$self', '$other', '$admin') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '1',
      '2',
      '3',
      '0',
      '-1',
      '01',
      '1.0',
      '1e3',
      '0x10',
      ' 1',
      '999999999999999',
      '9999999999999999',
      '18446744073709551616',
      'NaN',
    ),
  },
  { weight: 2, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.integer().map(String) },
)

/** An operation as fast-check prints it in a counterexample: its method and path only. */
const printable = (op: Operation): Operation =>
  Object.defineProperty({ ...op }, fc.toStringMethod, { value: () => `<${op.method} ${op.path}>`, enumerable: false })

interface Req {
  readonly op: Operation
  readonly method: string
  readonly params: Record<string, string>
  readonly rawPath: boolean
  readonly slash: boolean
  readonly query: string
  readonly body: Body
  readonly who: Who
  readonly idempotencyKey: string | undefined
}

function requestArb(ops: readonly Operation[], ctx: Ctx): fc.Arbitrary<Req> {
  // One record arbitrary per operation, built once (building arbitraries per sample costs more than running the
  // requests).
  return fc.oneof(
    ...ops.map(printable).map((op) =>
      fc.record({
        op: fc.constant(op),
        method: fc.oneof(
          { weight: 12, arbitrary: fc.constant(op.method) },
          { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS') },
        ),
        params: fc.record(Object.fromEntries(op.pathParams.map((p) => [p, pathValue]))) as fc.Arbitrary<
          Record<string, string>
        >,
        rawPath: fc.boolean(),
        slash: fc.boolean(),
        query: op.queryParams.length
          ? queryArb(op)
          : fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: queryArb(op) }),
        body: bodyArb(op, ctx),
        who: fc.constantFrom<Who>('none', 'user', 'user', 'admin', 'admin', 'other', 'garbage', 'expired'),
        idempotencyKey: fc.option(
          fc.oneof(
            fc.constantFrom('key-1', 'key-2', ' ', 'x'.repeat(256), '\u0001ctl', '\u007f'),
            fc.string({ maxLength: 30 }),
          ),
          { nil: undefined },
        ),
      }),
    ),
  )
}

// ---------------------------------------------------------------------------------------------
// Sending and checking

const resolve = (s: string, w: World) => s.replace(/\$(self|other|admin)/g, (m) => w.refs[m as Ref])

function urlOf(r: Req, w: World): string {
  let path = r.op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const v = resolve(r.params[name] ?? '1', w)
    // raw: what a careless client sends (the URL parser percent-encodes what it must)
    return r.rawPath && !/[/?#\\]/.test(v) ? v.toWellFormed() : enc(v)
  })
  if (r.slash) path += '/'
  return r.query ? `${path}?${resolve(r.query, w)}` : path
}

function optionsOf(r: Req, w: World): CallOptions | undefined {
  const headers: Record<string, string> = {}
  if (r.idempotencyKey !== undefined) headers['Idempotency-Key'] = r.idempotencyKey
  const token = w.tokens[r.who]
  const o: { token?: string; headers: Record<string, string>; raw?: string } = { headers }
  if (token) o.token = token
  // GET and HEAD carry no body (the Fetch API will not send one)
  if (r.method === 'GET' || r.method === 'HEAD') {
    // nothing
  } else if (r.body.kind === 'json') {
    o.raw =
      JSON.stringify(r.body.value, (_k, v) => (typeof v === 'string' && v === '$token' ? (w.tokens.user ?? '') : v)) ??
      'null'
    if (r.body.type) headers['Content-Type'] = r.body.type
  } else if (r.body.kind === 'raw') {
    o.raw = r.body.text
    if (r.body.type) headers['Content-Type'] = r.body.type
  }
  // A header value the Fetch API refuses to send cannot reach a server either.
  try {
    new Headers(headers)
  } catch {
    return undefined
  }
  return o
}

const LOGIN = '/api/v1/auth/login'
const REGISTER = '/api/v1/auth/register'

async function check(w: World, r: Req, log: string[]): Promise<void> {
  const opts = optionsOf(r, w)
  if (!opts) return
  const url = urlOf(r, w)
  const before = w.snap?.()
  const proto = Object.getOwnPropertyNames(Object.prototype).join()
  let reply: Reply
  try {
    reply = await call(w.app, r.method, url, opts)
  } catch (e) {
    throw new Error(`${r.method} ${url}: the app threw ${String(e)}\n${log.join('\n')}`)
  }
  const where =
    `${r.method} ${url} as ${r.who} body ${opts.raw?.slice(0, 300)} ` + `→ ${reply.status} ${reply.text.slice(0, 300)}`
  log.push(where)
  const fail = (what: string) => {
    throw new Error(`${what}\n  at ${where}\n  sequence:\n    ${log.join('\n    ')}`)
  }
  if (reply.status >= 500) fail('a 5xx')
  if (
    Object.getOwnPropertyNames(Object.prototype).join() !== proto ||
    ({} as Record<string, unknown>).polluted !== undefined
  )
    fail('Object.prototype polluted')
  for (const h of w.hashes) if (reply.text.includes(h)) fail('a stored password hash in the body')
  for (const k of keysOf(reply.body))
    if (/password|hash/i.test(k) && !url.startsWith('/openapi.json')) fail(`a "${k}" key in the body`)
  if (reply.status >= 400) {
    // a HEAD answer has the headers of the GET and no body
    const issues =
      r.method === 'HEAD'
        ? problemIssues({
            ...reply,
            body: {
              status: reply.status,
              title: 't',
              detail: 'd',
              code: 'c',
              instance: '/',
              request_id: reply.headers.get('X-Request-Id'),
            },
          })
        : problemIssues(reply)
    if (issues.length) fail(`not a problem: ${issues.join('; ')}`)
    const after = w.snap?.()
    const path = url.split('?')[0]!.replace(/\/$/, '')
    const counted =
      r.method === 'POST' && ((path === LOGIN && reply.status === 401) || (path === REGISTER && reply.status === 409))
    const diff = before && after ? snapshotDiff(before, after).filter((d) => !(counted && d.startsWith('side'))) : []
    if (diff.length) fail(`a ${reply.status} wrote something: ${diff.join('\n')}`)
  }
}

// ---------------------------------------------------------------------------------------------

for (const service of ['auth', 'catalog', 'order'] as const) {
  const sample = await worlds[service]()
  const ops = await operations(sample.app)
  describe(`fuzz ${service}`, () => {
    test('the operations come from /openapi.json', () => {
      expect(ops.length).toBeGreaterThanOrEqual(6)
    })

    test(
      `${RUNS} runs of up to 4 random requests: no 5xx, problem+json on every 4xx, nothing written on a 4xx`,
      async () => {
        const statuses = new Map<number, number>()
        const byOp = new Map<string, number>()
        const seed = SEED + ['auth', 'catalog', 'order'].indexOf(service)
        try {
          await fc.assert(
            fc.asyncProperty(fc.array(requestArb(ops, { service }), { minLength: 1, maxLength: 4 }), async (reqs) => {
              const w = await worlds[service]()
              const log: string[] = []
              for (const r of reqs) {
                await check(w, r, log)
              }
              for (const line of log) {
                const status = Number(/→ (\d{3})/.exec(line)?.[1])
                statuses.set(status, (statuses.get(status) ?? 0) + 1)
                if (process.env.FUZZ_VERBOSE && status < 300) {
                  const key = `${line.split(' ')[0]} ${line
                    .split(' ')[1]!
                    .split('?')[0]!
                    .replace(/\/[^/]*$/, '/…')} ${status}`
                  byOp.set(key, (byOp.get(key) ?? 0) + 1)
                }
              }
            }),
            { numRuns: RUNS, seed, endOnFailure: false },
          )
        } catch (e) {
          const cause = (e as Error).cause as Error | undefined
          throw new Error(
            `fuzz ${service} failed (FUZZ_SEED=${SEED} ` +
              `FUZZ_RUNS=${RUNS}):\n${(e as Error).message}\n${cause?.message ?? ''}`,
          )
        }
        if (process.env.FUZZ_VERBOSE)
          console.log(
            service,
            Object.fromEntries([...statuses].sort(([a], [b]) => a - b)),
            Object.fromEntries([...byOp].sort()),
          )
        // the fuzzer reached the domain, not only the validators
        const seen = [...statuses.keys()]
        expect(seen.some((s) => s >= 200 && s < 300)).toBe(true)
        expect(seen).toEqual(expect.arrayContaining([401, 422]))
      },
      Math.max(60_000, RUNS * 100),
    )
  })
}

const PG_RUNS = Number(process.env.FUZZ_PG_RUNS ?? 60)

/**
 * The same requests against the PostgreSQL adapters (PGlite): what only a real database refuses
 * (a NUL in text, a number out of a column's range, a malformed uuid) must be a 4xx, never a 500.
 * One world per service for the whole pass, so state accumulates; writes are not checked here.
 */
for (const service of ['auth', 'catalog', 'order'] as const) {
  describe(`fuzz ${service} on PGlite`, () => {
    test(
      `${PG_RUNS} runs of up to 4 random requests: no 5xx, problem+json on every 4xx`,
      async () => {
        const w = await pgWorlds[service]()
        const ops = await operations(w.app)
        const seed = SEED + 10 + ['auth', 'catalog', 'order'].indexOf(service)
        try {
          await fc.assert(
            fc.asyncProperty(fc.array(requestArb(ops, { service }), { minLength: 1, maxLength: 4 }), async (reqs) => {
              const log: string[] = []
              for (const r of reqs) await check(w, r, log)
            }),
            { numRuns: PG_RUNS, seed, endOnFailure: true },
          )
        } catch (e) {
          const cause = (e as Error).cause as Error | undefined
          throw new Error(
            `fuzz ${service} on PGlite failed (FUZZ_SEED=${SEED} ` +
              `FUZZ_PG_RUNS=${PG_RUNS}):\n${(e as Error).message}\n${cause?.message ?? ''}`,
          )
        }
      },
      Math.max(60_000, PG_RUNS * 400),
    )
  })
}
