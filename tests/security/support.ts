import { steppingClock } from '@shop/platform/testing/fixtures'
import type { TrustProxy } from '@shop/platform/http/client-address'
/**
 * Shared by the security tests: the three HTTP apps over their memory adapters (the services'
 * own test builders where they suffice, small builders here where they lack an option), hostile
 * tokens, the operations of each app's OpenAPI document, and a deterministic snapshot of
 * everything a memory store holds (to prove that a refused request wrote nothing).
 */
import type { Hono } from 'hono'
import { makeEnvelope } from '@shop/kernel/events'
import { memoryUserReplica } from '@shop/platform/memory/user-replica'
import { MemoryTransactor, type Snapshotting } from '@shop/platform/memory/transactor'
import { createLogger, type Logger } from '@shop/platform/log'
import { ok } from '@shop/kernel/result'
import {
  call,
  type CallOptions,
  type Reply,
  TEST_SECRET,
  testHttpOptions,
  tokenFactory,
} from '@shop/platform/testing/http'
import type { AuthStore } from '../../auth/src/ports.ts'
import { authTestApp } from '../../auth/test/support.ts'
import { systemClock } from '@shop/kernel/app'
import { catalogApplication } from '../../catalog/src/app/application.ts'
import { catalogHttp } from '../../catalog/src/adapters/http/routes.ts'
import { memoryCatalogStore } from '../../catalog/src/adapters/memory/store.ts'
import type { CatalogStore } from '../../catalog/src/ports.ts'
import { orderApplication } from '../../order/src/app/application.ts'
import { orderHttp } from '../../order/src/adapters/http/routes.ts'
import { memoryOrderStore } from '../../order/src/adapters/memory/store.ts'
import { applyProduct } from '../../order/test/support.ts'
import type { OrderStore } from '../../order/src/ports.ts'

/** The secret every service's own test support uses, so their tokens work here too. */
export const SECRET = TEST_SECRET
const OTHER_SECRET = 'another-secret-another-secret-1234567890'
export const tokens = tokenFactory(SECRET)

export type ServiceName = 'auth' | 'catalog' | 'order'
export const SERVICES: readonly ServiceName[] = ['auth', 'catalog', 'order']

export interface Person {
  readonly id: string
  readonly username: string
  readonly role: 'USER' | 'ADMIN'
}

// ---------------------------------------------------------------------------------------------
// Builders (for the options the services' own test builders lack: lookup, CORS, a logger)

export interface BuildOptions {
  readonly bodyLimit?: number
  readonly corsOrigins?: readonly string[]
  readonly log?: Logger
  readonly maxFailures?: number
  readonly maxPerAddress?: number
  readonly trustProxy?: TrustProxy
}

/** The auth app of auth's own HTTP tests (memory store, bcrypt cost 4, real JWTs). */
export function buildAuth(o: BuildOptions & { store?: AuthStore } = {}) {
  const { app, application, store } = authTestApp(o)
  return { app, application, store }
}

/** A user replica as catalog and order keep one, fed with user.* events as the bus would. */
export function replica() {
  const r = memoryUserReplica()
  let version = 1
  const event = (type: 'user.created' | 'user.updated' | 'user.deleted', p: Person) =>
    makeEnvelope(
      'auth',
      type === 'user.deleted'
        ? { type, data: { id: p.id, version: ++version } }
        : {
            type,
            data: {
              id: p.id,
              username: p.username,
              email: `${p.username}@example.com`,
              role: p.role,
              version: ++version,
              tokens_valid_after: null,
            },
          },
      null,
      crypto.randomUUID(),
      new Date(),
    )
  return {
    lookup: r.lookup,
    rows: r.rows,
    created: (p: Person) => r.apply(event('user.created', p)),
    updated: (p: Person) => r.apply(event('user.updated', p)),
    deleted: (p: Person) => r.apply(event('user.deleted', p)),
  }
}
export type Replica = ReturnType<typeof replica>

export function buildCatalog(o: BuildOptions & { store?: CatalogStore; replica?: Replica } = {}) {
  const store = o.store ?? memoryCatalogStore()
  const core = catalogApplication({ store, clock: systemClock })
  const app = catalogHttp({
    ...testHttpOptions('catalog', o),
    application: core,
    ...(o.replica ? { lookup: o.replica.lookup } : {}),
  })
  return { app, core, store }
}

export function buildOrder(o: BuildOptions & { store?: OrderStore; replica?: Replica } = {}) {
  const store = o.store ?? memoryOrderStore()
  const application = orderApplication({ store, clock: steppingClock() })
  const app = orderHttp({
    ...testHttpOptions('order', o),
    application,
    ...(o.replica ? { lookup: o.replica.lookup } : {}),
  })
  return { app, application, store }
}

/** Replica products for the order service, as the catalog's product.created events would bring them. */
export async function seedOrderProduct(
  application: ReturnType<typeof buildOrder>['application'],
  id: number,
  price = '10.00',
  name = `product ${id}`,
) {
  const created = makeEnvelope(
    'catalog',
    { type: 'product.created', data: { id, name, price, stock: 100, category_id: 1, sku: null, version: 1 } },
    null,
    crypto.randomUUID(),
    new Date(),
  )
  await applyProduct(application, created)
}

/** A logger whose lines are kept, for "the full error is in the log". */
export function capturingLogger(service: string) {
  const lines: Record<string, unknown>[] = []
  const log = createLogger({ service, level: 'debug', sink: (line) => void lines.push(JSON.parse(line)) })
  return { log, lines }
}

/** A store whose `path` method (e.g. ['orders', 'list']) throws `error`: an infrastructure failure. */
export function failing<S extends object>(store: S, path: readonly [string, string], error: unknown): S {
  const [member, method] = path
  const inner = (store as Record<string, unknown>)[member] as object
  const broken = new Proxy(inner, {
    get(target, key, receiver) {
      if (key === method) return async () => Promise.reject(error)
      const value = Reflect.get(target, key, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key === member) return broken
      const value = Reflect.get(target, key, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

// ---------------------------------------------------------------------------------------------
// Tokens

export type TokenKind =
  | 'alg none'
  | 'HS512 with the right key'
  | 'HS256 with a wrong key'
  | 'expired'
  | 'no exp'
  | 'wrong iss'
  | 'no iss'
  | 'wrong aud'
  | 'no aud'
  | 'no sub'
  | 'sub not a UUID (right key)'
  | 'role not USER or ADMIN'
  | 'not yet valid (nbf)'
  | 'tampered payload (role raised)'
  | 'garbage'

/** Tokens that must all be refused with 401, each for one reason, for an otherwise valid `p`. */
export function hostileTokens(p: Person): Record<TokenKind, () => Promise<string> | string> {
  const now = Math.floor(Date.now() / 1000)
  return {
    'alg none': () => tokens.algNone(p),
    'HS512 with the right key': () => tokens.signed(tokens.claims(p), SECRET, 'HS512'),
    'HS256 with a wrong key': () => tokens.signed(tokens.claims(p), OTHER_SECRET),
    expired: () => tokens.valid(p, { iat: now - 3600, exp: now - 60 }),
    'no exp': () => tokens.withoutExp(p),
    'wrong iss': () => tokens.valid(p, { iss: 'evil-auth' }),
    'no iss': () => tokens.valid(p, { iss: undefined }),
    'wrong aud': () => tokens.valid(p, { aud: 'someone-else' }),
    'no aud': () => tokens.valid(p, { aud: undefined }),
    'no sub': () => tokens.valid(p, { sub: undefined }),
    'sub not a UUID (right key)': () => tokens.valid(p, { sub: "1' or '1'='1" }),
    'role not USER or ADMIN': () => tokens.valid(p, { role: 'ROOT' }),
    'not yet valid (nbf)': () => tokens.valid(p, { nbf: now + 3600 }),
    'tampered payload (role raised)': async () => {
      const [h, , s] = (await tokens.valid({ ...p, role: 'USER' })).split('.')
      return `${h}.${Buffer.from(JSON.stringify(tokens.claims({ ...p, role: 'ADMIN' }))).toString('base64url')}.${s}`
    },
    garbage: () => 'not.a.jwt',
  }
}

// ---------------------------------------------------------------------------------------------
// Requests and the OpenAPI document

/** Every response the security tests saw, for checks over all of them (no password or hash anywhere). */
export const seen: { service: string; method: string; path: string; reply: Reply }[] = []

export function requester(service: string, app: Hono<any, any, any>) {
  return async (method: string, path: string, o: CallOptions = {}): Promise<Reply> => {
    const reply = await call(app, method, path, o)
    seen.push({ service, method, path, reply })
    return reply
  }
}

export interface Operation {
  readonly method: string
  /** OpenAPI form, `{id}` placeholders. */
  readonly path: string
  readonly op: any
  readonly secured: boolean
  /** A 403 documented as the role gate (not, say, auth's "current_password is wrong"). */
  readonly adminOnly: boolean
  readonly pathParams: readonly string[]
  readonly queryParams: readonly { name: string; schema: any }[]
  readonly bodySchema: any | undefined
}

/** The schema with its `$ref`s to named component schemas replaced by what they name (a cycle is cut with `{}`). */
function inline(schema: any, components: Record<string, any>, seen: readonly string[] = []): any {
  if (Array.isArray(schema)) return schema.map((s) => inline(s, components, seen))
  if (!schema || typeof schema !== 'object') return schema
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace('#/components/schemas/', '')
    return seen.includes(name) ? {} : inline(components[name], components, [...seen, name])
  }
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, inline(v, components, seen)]))
}

export async function operations(app: Hono<any, any, any>): Promise<Operation[]> {
  const raw = (await call(app, 'GET', '/openapi.json')).body as {
    paths: Record<string, Record<string, any>>
    components: { schemas: Record<string, any> }
  }
  const doc = { paths: inline(raw.paths, raw.components.schemas) as Record<string, Record<string, any>> }
  const out: Operation[] = []
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const params = (op.parameters ?? []) as { name: string; in: string; schema: any }[]
      out.push({
        method: method.toUpperCase(),
        path,
        op,
        secured: Array.isArray(op.security) && op.security.length > 0 && '401' in op.responses,
        adminOnly: '403' in op.responses && /lacks the ADMIN role/.test(op.responses['403'].description ?? ''),
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema })),
        bodySchema: op.requestBody?.content?.['application/json']?.schema,
      })
    }
  }
  return out
}

export const opName = (o: { method: string; path: string }) => `${o.method} ${o.path}`

/** The path with its placeholders filled (each value URL-encoded). */
export const fillPath = (path: string, values: Record<string, string>) =>
  path.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(values[name] ?? '1'))

// ---------------------------------------------------------------------------------------------
// Checks

export function problemIssues(r: Reply): string[] {
  const issues: string[] = []
  if (!(r.headers.get('Content-Type') ?? '').startsWith('application/problem+json'))
    issues.push(`Content-Type is ${r.headers.get('Content-Type')}`)
  const b = r.body as Record<string, unknown> | undefined
  if (!b || typeof b !== 'object') return [...issues, `body is not a problem: ${r.text.slice(0, 200)}`]
  if (b.status !== r.status) issues.push(`body.status ${String(b.status)} != ${r.status}`)
  for (const k of ['title', 'detail', 'code'] as const)
    if (typeof b[k] !== 'string' || b[k] === '') issues.push(`body.${k} missing`)
  if (typeof b.instance !== 'string' || !b.instance.startsWith('/')) issues.push('body.instance missing')
  if (b.request_id !== r.headers.get('X-Request-Id')) issues.push('body.request_id is not the X-Request-Id')
  // RFC 6750 §3: `Bearer`, with error="invalid_token" and a description when a token was refused.
  const challenge = r.headers.get('WWW-Authenticate') ?? ''
  if (r.status === 401 && !/^Bearer(?: error="invalid_token", error_description="[^"]*")?$/.test(challenge))
    issues.push(`401 without WWW-Authenticate: Bearer (${challenge})`)
  return issues
}

/** Keys anywhere in a JSON value. */
export function keysOf(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) keysOf(v, into)
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      into.add(k)
      keysOf(v, into)
    }
  }
  return into
}

/** What a response must never carry: a password field, a hash field, a bcrypt hash. */
export function secretLeaks(r: Reply, passwords: readonly string[] = []): string[] {
  const issues: string[] = []
  if (r.text.includes('$2')) issues.push('a "$2" (bcrypt hash prefix) in the body')
  if (/password_hash|passwordHash/i.test(r.text)) issues.push('password_hash in the body')
  const keys = keysOf(r.body)
  for (const k of keys) if (/pass(word)?|hash/i.test(k)) issues.push(`a "${k}" key in the body`)
  for (const p of passwords) if (p && r.text.includes(p)) issues.push('a plaintext password in the body')
  return issues
}

// ---------------------------------------------------------------------------------------------
// Snapshots of memory stores

/**
 * A canonical text of a value: Map entries and object keys sorted, Dates as ISO strings. Two
 * snapshots are equal exactly when the data is, whatever the insertion order.
 */
export function canonical(x: unknown): string {
  if (x === undefined) return 'undefined'
  if (x === null || typeof x === 'number' || typeof x === 'boolean' || typeof x === 'string')
    return JSON.stringify(x) ?? String(x)
  if (typeof x === 'bigint') return `${x}n`
  if (x instanceof Date) return `Date(${Number.isNaN(x.getTime()) ? 'invalid' : x.toISOString()})`
  if (x instanceof Map) {
    const entries = [...x.entries()]
      .map(([k, v]) => [canonical(k), canonical(v)] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `Map{${entries.map(([k, v]) => `${k}=>${v}`).join(',')}}`
  }
  if (x instanceof Set) return `Set{${[...x].map(canonical).sort().join(',')}}`
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`
  if (typeof x === 'object') {
    const entries = Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return `<${typeof x}>`
}

/**
 * The transactional state of a memory store: every Table and Sequence its MemoryTransactor saves
 * and restores. The transactor lives in the store's closure; a no-op transaction lets us meet it
 * (run is wrapped for that one synchronous call only, then put back).
 */
function transactionalState(store: {
  transact(work: (tx: never) => Promise<unknown>): Promise<unknown>
}): readonly Snapshotting[] {
  const proto = MemoryTransactor.prototype as unknown as { run: (...args: unknown[]) => unknown }
  const original = proto.run
  let state: readonly Snapshotting[] | undefined
  proto.run = function (this: { state: readonly Snapshotting[] }, ...args: unknown[]) {
    state = this.state
    return original.apply(this, args)
  }
  try {
    void store.transact(async () => ok(null))
  } finally {
    proto.run = original
  }
  if (!state?.length) throw new Error('not a memory store: no MemoryTransactor met')
  return state
}

export interface StoreSnapshot {
  /** Tables and sequences of the store (rolled back with their transaction). */
  readonly tables: string
  /** Events committed (the outbox, in memory). */
  readonly published: string
  /** State outside transactions: auth's login throttle, the user replica. */
  readonly side: string
}

/** A snapshot function for a memory store (plus side state: auth's throttle, a replica's rows). */
export function snapshotter(store: object, side: readonly unknown[] = []): () => StoreSnapshot {
  const state = transactionalState(store as never)
  const published = (store as { published?: unknown[] }).published ?? []
  // auth's throttle keeps its windows in a private Map, outside transactions.
  const throttle = (store as { throttle?: { rows?: unknown } }).throttle?.rows
  const extra = throttle === undefined ? side : [throttle, ...side]
  return () => ({
    tables: canonical(state.map((s) => s.snapshot())),
    published: canonical(published),
    side: canonical(extra),
  })
}

/** Where two snapshots differ (short, for a failure message). */
export function snapshotDiff(a: StoreSnapshot, b: StoreSnapshot): string[] {
  const out: string[] = []
  for (const k of ['tables', 'published', 'side'] as const) {
    if (a[k] === b[k]) continue
    let i = 0
    while (i < a[k].length && a[k][i] === b[k][i]) i++
    out.push(
      `${k} changed at ${i}: before …${a[k].slice(Math.max(0, i - 80), i + 120)}… after ` +
        `…${b[k].slice(Math.max(0, i - 80), i + 120)}…`,
    )
  }
  return out
}
