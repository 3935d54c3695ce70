import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { permissionsOf } from '@shop/platform/bus/broker-setup'
import { BROKER_USERS } from '@shop/platform/bus/ownership'
import { rabbitmqctl } from '@shop/platform/testing/broker'
import { inCI, serverUrl } from '@shop/platform/testing/databases'
import { haproxyConfig } from '../../scripts/haproxy.ts'
import { rollout } from '../../scripts/rollout.ts'
import { plannedInstances } from '../../scripts/start.ts'
import { serverStats } from '../../scripts/supervisor.ts'
import {
  ADMIN,
  api,
  repoId,
  eventually,
  resetBroker,
  resetDatabases,
  ROOMY_LIMITS,
  root,
  SECRET,
  SERVICES,
  type ServiceName,
  serviceAmqpUrl,
  useServers,
  adminToken,
  categoryId,
} from './harness.ts'

/**
 * `INSTANCES=2 make start` for real (scripts/start.ts: two processes of each service behind HAProxy
 * on the real PostgreSQL and RabbitMQ), and `make rollout` while 20 clients send mixed traffic
 * through HAProxy: listings, product reads, logins, orders with an Idempotency-Key. Every instance
 * of every service is restarted, one at a time, and no request fails (no 5xx, no connection error,
 * no timeout); afterwards every order is settled, stock is conserved and every event was applied
 * once. The figures are printed.
 */
const run = await useServers()
const haproxy = Bun.which('haproxy')
const VHOST = `shop_rollout_${repoId}`
const dbName = (svc: ServiceName) => `shop_ro_${svc}_${repoId}`
const dbUrl = (svc: ServiceName) => {
  const u = new URL(serverUrl())
  u.pathname = `/${dbName(svc)}`
  return u.toString()
}

if (!haproxy) {
  if (inCI())
    test('HAProxy is installed (make haproxy), as the rolling-restart test needs', () => expect(haproxy).toBeTruthy())
  else console.warn('[skip] haproxy is not installed (make haproxy): the rolling-restart test is skipped (CI fails)')
}

describe.skipIf(!haproxy)("HAProxy's configuration (scripts/haproxy.ts)", () => {
  test.each([1, 2, 3])('with %i instance(s) of each service it is valid (haproxy -c -f)', (n) => {
    const dir = mkdtempSync(join(tmpdir(), 'shop-haproxy-'))
    try {
      const plan = plannedInstances({ DATA_DIR: dir }, n)
      const text = haproxyConfig(plan.haproxy)
      writeFileSync(join(dir, 'haproxy.cfg'), text)
      const check = Bun.spawnSync([haproxy!, '-c', '-f', join(dir, 'haproxy.cfg')])
      expect({ code: check.exitCode, out: `${check.stdout}${check.stderr}` }).toMatchObject({ code: 0 })
      // Reads may be retried, and only on a connection that failed (nothing sent); writes never.
      const backend = (name: string) => text.split(`\nbackend ${name}\n`)[1]!.split('\n\n')[0]!
      for (const s of SERVICES) {
        expect(backend(s)).toContain('retry-on conn-failure')
        expect(backend(`${s}_writes`)).toContain('retries 0')
        expect(backend(`${s}_writes`)).not.toContain('retry-on')
        expect(text).toContain(`use_backend ${s} if { method GET HEAD OPTIONS }`)
        expect(backend(s).match(/ check$/gm)?.length).toBe(n)
        // checked on what requests need, the broker left out (the broker-outage test below)
        expect(backend(`${s}_writes`)).toContain(' uri /health/serving ')
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

/**
 * `count` consecutive free TCP ports on 127.0.0.1 starting at a random one, `stride` apart in `groups`;
 * all below 32768, where Linux's ephemeral range (outgoing connections' ports) starts.
 */
function freePorts(groups: number, count: number, stride: number): number {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * (120 - groups)) * 100
    const ports = Array.from({ length: groups }, (_, g) =>
      Array.from({ length: count }, (_, i) => base + g * stride + i),
    )
    try {
      for (const p of ports.flat()) Bun.listen({ hostname: '127.0.0.1', port: p, socket: { data() {} } }).stop(true)
      return base
    } catch {}
  }
}

interface Sample {
  readonly op: string
  readonly status: number | 'connection error' | 'timeout'
  readonly ms: number
}

describe.skipIf(!run || !haproxy)('a rolling restart behind HAProxy (INSTANCES=2 make start, make rollout)', () => {
  let dir = ''
  let proc: ReturnType<typeof Bun.spawn> | undefined
  const output: string[] = []
  let urls: Record<ServiceName, string>
  /** The first instance's port (INSTANCE_PORTS_FROM). */
  let from = 0
  /** The supervised processes, as `make start`'s control socket reports them. */
  const children = async () =>
    (
      (await (await fetch('http://start/status', { unix: join(dir, 'start.sock') })).json()) as {
        children: { id: string; pid: number; running: boolean; restarts: number }[]
      }
    ).children

  beforeAll(async () => {
    await resetDatabases(dbName)
    await resetBroker(VHOST)
    dir = mkdtempSync(join(tmpdir(), 'shop-rollout-'))
    // One pick for all of them: HAProxy's three ports at base, the instances' from base + 100 (2 of each
    // service, 100 apart); two separate picks could overlap.
    const base = freePorts(4, 3, 100)
    const pub = base
    from = base + 100
    urls = {
      auth: `http://127.0.0.1:${pub}`,
      catalog: `http://127.0.0.1:${pub + 1}`,
      order: `http://127.0.0.1:${pub + 2}`,
    }
    proc = Bun.spawn(['bun', join(root, 'scripts', 'start.ts')], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        INSTANCES: '2',
        INSTANCE_PORTS_FROM: String(from),
        AUTH_PORT: String(pub),
        CATALOG_PORT: String(pub + 1),
        ORDER_PORT: String(pub + 2),
        HOST: '127.0.0.1',
        DATA_DIR: dir,
        JWT_SECRET: SECRET,
        ...Object.fromEntries(SERVICES.map((s) => [`${s.toUpperCase()}_DATABASE_URL`, dbUrl(s)])),
        ...Object.fromEntries(SERVICES.map((s) => [`${s.toUpperCase()}_AMQP_URL`, serviceAmqpUrl(s, VHOST)])),
        // Six processes on a database server shared with other suites: small pools.
        DATABASE_POOL_MAX: '3',
        BCRYPT_COST: '4',
        LOG_LEVEL: 'warn',
        ADMIN_USERNAME: ADMIN.username,
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        ...ROOMY_LIMITS,
      },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const p = proc
    process.once('exit', () => p.kill('SIGKILL'))
    for (const stream of [proc.stdout, proc.stderr] as ReadableStream<Uint8Array>[])
      void (async () => {
        const decoder = new TextDecoder()
        for await (const chunk of stream) for (const l of decoder.decode(chunk).split('\n')) if (l) output.push(l)
      })()
    await eventually(
      async () => {
        if (proc?.exitCode !== null) throw new Error(`make start exited:\n${output.slice(-30).join('\n')}`)
        const ready = await Promise.all(
          SERVICES.map((s) =>
            fetch(`${urls[s]}/health/ready`).then(
              (r) => r.ok,
              () => false,
            ),
          ),
        )
        return ready.every(Boolean)
      },
      'the shop behind HAProxy to be ready',
      90_000,
    )
  }, 120_000)

  afterAll(async () => {
    if (proc && proc.exitCode === null) {
      proc.kill('SIGTERM')
      await Promise.race([proc.exited, Bun.sleep(30_000)])
      proc.kill('SIGKILL')
    }
    if (dir) rmSync(dir, { recursive: true, force: true })
    await resetBroker(VHOST).catch(() => {})
  }, 60_000)

  test('20 clients, every instance restarted one at a time: 0 failed requests, every order settled', async () => {
    const admin = await adminToken(urls.auth)
    const catId = await categoryId(urls.catalog, admin, 'Rollout')
    const initial = new Map<number, number>()
    for (let i = 0; i < 6; i++) {
      const r = await api(urls.catalog, 'POST', '/api/v1/product', {
        token: admin,
        body: { name: `Rolled ${i}`, price: `${i + 1}.00`, stock: 100_000, category_id: catId },
      })
      expect(r.status).toBe(201)
      initial.set(r.body.id, 100_000)
    }
    const products = [...initial.keys()]
    const clients = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const username = `roller${i}`
        const password = `roller-password-${i}`
        const reg = await api(urls.auth, 'POST', '/api/v1/auth/register', {
          body: { username, email: `${username}@example.com`, password },
        })
        expect(reg.status).toBe(201)
        const login = await api(urls.auth, 'POST', '/api/v1/auth/login', { body: { username, password } })
        return { username, password, token: login.body.access_token as string }
      }),
    )
    // Orders need the products in the order service's replica, the users in its user replica.
    await eventually(
      async () => {
        const r = await api(urls.order, 'POST', '/api/v1/order', {
          token: clients[0]!.token,
          headers: { 'Idempotency-Key': crypto.randomUUID() },
          body: { items: products.map((id) => ({ product_id: id, quantity: 1 })) },
        })
        return r.status === 201
      },
      'the order service to know the products and users',
      30_000,
    )

    const samples: Sample[] = []
    let on = true
    const send = async (op: string, url: string, init: RequestInit) => {
      const t0 = performance.now()
      let status: Sample['status']
      try {
        const r = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) })
        await r.arrayBuffer()
        status = r.status
      } catch (e) {
        status = (e as Error).name === 'TimeoutError' ? 'timeout' : 'connection error'
      }
      samples.push({ op, status, ms: performance.now() - t0 })
      return status
    }
    const json = (token?: string) => ({
      'Content-Type': 'application/json',
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    })
    const load = clients.map(async (c, i) => {
      for (let n = i; on; n++) {
        const pid = products[n % products.length]!
        switch (n % 4) {
          case 0:
            await send('list products', `${urls.catalog}/api/v1/products?limit=20&category_id=${catId}`, {})
            break
          case 1:
            await send('read product', `${urls.catalog}/api/v1/product/${pid}`, {})
            break
          case 2:
            await send('login', `${urls.auth}/api/v1/auth/login`, {
              method: 'POST',
              headers: json(),
              body: JSON.stringify({ username: c.username, password: c.password }),
            })
            break
          default:
            await send('place order', `${urls.order}/api/v1/order`, {
              method: 'POST',
              headers: { ...json(c.token), 'Idempotency-Key': crypto.randomUUID() },
              body: JSON.stringify({ items: [{ product_id: pid, quantity: 1 + (n % 3) }] }),
            })
        }
      }
    })
    await Bun.sleep(2_000)
    const t0 = Date.now()
    // What `make rollout` does (scripts/rollout.ts), through the control socket.
    const report = await rollout(join(dir, 'start.sock'))
    const rolloutMs = Date.now() - t0
    await Bun.sleep(2_000)
    on = false
    await Promise.all(load)
    if (process.env.ROLLOUT_DEBUG) console.log(output.join('\n'))
    expect(report.error).toBeUndefined()

    const failed = samples.filter((s) => typeof s.status !== 'number' || s.status >= 500)
    const unexpected = samples.filter(
      (s) => typeof s.status === 'number' && s.status < 500 && s.status !== (s.op === 'place order' ? 201 : 200),
    )
    const byOp: Record<string, Record<string, number>> = {}
    for (const s of samples) {
      byOp[s.op] ??= {}
      byOp[s.op]![String(s.status)] = (byOp[s.op]![String(s.status)] ?? 0) + 1
    }
    const status = (await (await fetch('http://start/status', { unix: join(dir, 'start.sock') })).json()) as {
      children: { id: string; restarts: number }[]
    }
    console.log(
      [
        '',
        '=== rolling restart behind HAProxy (INSTANCES=2, 20 clients) ===',
        `requests served: ${samples.length - failed.length}, ` +
          `failed: ${failed.length} (5xx, connection errors, timeouts)`,
        `rollout: ${report.steps!.length} instances one at a time in ${report.ms} ms ` +
          `(${rolloutMs} ms as the client saw it)`,
        `per instance: ${report.steps!.map((s) => `${s.id} ${s.ms} ms`).join(', ')}`,
        `requests by operation and status: ${JSON.stringify(byOp)}`,
        `slowest request: ${Math.round(Math.max(...samples.map((s) => s.ms)))} ms`,
      ].join('\n'),
    )
    expect(report.steps!.map((s) => s.id).sort()).toEqual(
      ['auth1', 'auth2', 'catalog1', 'catalog2', 'order1', 'order2'].sort(),
    )
    expect(failed.slice(0, 10)).toEqual([])
    expect(unexpected.slice(0, 10)).toEqual([])
    expect(samples.filter((s) => s.op === 'place order').length).toBeGreaterThan(20)
    // No process died on its own meanwhile (a restart by the supervisor would be counted).
    expect(status.children.filter((c) => c.restarts > 0)).toEqual([])

    // Afterwards: every order settled (the stock is ample: all confirmed), stock conserved, every event applied once.
    const db = Object.fromEntries(
      SERVICES.map((s) => [s, postgres(dbUrl(s), { max: 1, onnotice: () => {} })]),
    ) as Record<ServiceName, postgres.Sql>
    try {
      await eventually(
        async () => {
          const [o] = await db.order`select count(*) filter (where status = 'pending')::int as pending,
            (select count(*)::int from outbox where sent_at is null) as unsent from orders`
          const [c] = await db.catalog`select count(*)::int as unsent from outbox where sent_at is null`
          return o!.pending === 0 && o!.unsent === 0 && c!.unsent === 0
        },
        'every order settled and every outbox drained',
        60_000,
      )
      const orders = await db.order<{ id: number; status: string }[]>`select id::int, status from orders`
      expect(orders.filter((o) => o.status !== 'confirmed')).toEqual([])
      // One order.placed per order, each applied by the catalog; one stock.reserved per order, each applied by order.
      for (const [type, from, to] of [
        ['order.placed', db.order, db.catalog],
        ['stock.reserved', db.catalog, db.order],
      ] as const) {
        const sent = await from<{ id: string }[]>`select id::text from outbox where type = ${type}`
        const applied = await to<{ id: string }[]>`select event_id::text as id from inbox where type = ${type}`
        expect(new Set(applied.map((r) => r.id))).toEqual(new Set(sent.map((r) => r.id)))
        expect(sent.length).toBe(orders.length)
      }
      const held = await db.catalog<{ product_id: number; quantity: number }[]>`
        select (l->>'product_id')::int as product_id, (l->>'quantity')::int as quantity
        from stock_reservations, jsonb_array_elements(items) l where status = 'reserved'`
      const ordered = await db.order<{ product_id: number; quantity: number }[]>`
        select i.product_id::int, i.quantity::int from order_items i join orders o on o.id = i.order_id`
      const stock = await db.catalog<{ id: number; stock: number }[]>`select id::int, stock from products`
      const sum = (rows: { product_id: number; quantity: number }[], id: number) =>
        rows.filter((r) => r.product_id === id).reduce((n, r) => n + r.quantity, 0)
      for (const p of stock) {
        expect({ product: p.id, conserved: p.stock + sum(held, p.id) }).toEqual({
          product: p.id,
          conserved: initial.get(p.id)!,
        })
        expect({ product: p.id, held: sum(held, p.id) }).toEqual({ product: p.id, held: sum(ordered, p.id) })
      }
      console.log(`orders: ${orders.length}, all confirmed; stock conserved on ${stock.length} products`)
    } finally {
      await Promise.all(SERVICES.map((s) => db[s].end({ timeout: 2 })))
    }
  }, 300_000)

  test('kill -9 of an instance: the supervisor starts it again (counted), the other one serves meanwhile', async () => {
    const victim = (await children()).find((c) => c.id === 'catalog1')!
    process.kill(victim.pid, 'SIGKILL')
    // Reads through HAProxy keep being answered: retried on the other instance when the
    // connection to the dead one is refused (nothing was sent), until the checks take it out.
    const reads: number[] = []
    let back = false
    while (!back) {
      const r = await fetch(`${urls.catalog}/api/v1/products?limit=5`, { signal: AbortSignal.timeout(15_000) })
      reads.push(r.status)
      const again = (await children()).find((c) => c.id === 'catalog1')!
      back = again.restarts === 1 && again.running && again.pid !== victim.pid
      await Bun.sleep(50)
    }
    await eventually(
      async () => (await fetch(`${urls.catalog}/health/ready`)).ok,
      'the catalog behind HAProxy ready again',
      60_000,
    )
    console.log(`kill -9 catalog1: ${reads.length} reads meanwhile, statuses ${[...new Set(reads)].join(', ')}`)
    expect(reads.filter((x) => x !== 200)).toEqual([])
    expect((await children()).filter((c) => c.id !== 'catalog1' && c.restarts > 0)).toEqual([])
  }, 120_000)
  test('the broker refused to every service, an auth instance hung: writes through HAProxy all served', async () => {
    const instanceUrls = plannedInstances({ INSTANCE_PORTS_FROM: String(from) }, 2).services.flatMap((s) =>
      s.instances.map((i) => ({ id: i.name, url: `http://127.0.0.1:${i.port}` })),
    )
    const ready = async (url: string) => (await fetch(`${url}/health/ready`).catch(() => undefined))?.status
    // The services' broker users lose their rights on this vhost and their connections are closed: every
    // instance is "broker down" (its /health/ready 503), as in an outage, and cannot connect again.
    const brokerUsers = SERVICES.map((s) => BROKER_USERS[s])
    let stopped = 0
    const t0 = performance.now()
    const phases: string[] = []
    const phase = (what: string) => phases.push(`${what} ${Math.round(performance.now() - t0)} ms`)
    for (const user of brokerUsers) await rabbitmqctl(['clear_permissions', '-p', VHOST, user])
    try {
      // every connection to this vhost is the services' (one rabbitmqctl call: each costs a second or more)
      await rabbitmqctl(['close_all_connections', '--vhost', VHOST, '--limit', '1000', 'broker outage (a test)'])
      await eventually(
        async () => (await Promise.all(instanceUrls.map((i) => ready(i.url)))).every((s) => s === 503),
        'every instance sees the broker gone',
        30_000,
      )
      phase('broker gone everywhere')
      // auth1 hangs (SIGSTOP: it takes connections and answers nothing; the supervisor sees it running).
      // HAProxy takes it out of the writes' backend and keeps auth2 in. With the broker in its check, both
      // would be out, and their unchecked twins, the hung one's included, would take the writes.
      const victim = (await children()).find((c) => c.id === 'auth1')!
      process.kill(victim.pid, 'SIGSTOP')
      stopped = victim.pid
      const writes = ['auth1', 'auth2'].map((server) => ({ backend: 'auth_writes', server }))
      await eventually(
        async () => (await serverStats(join(dir, 'haproxy.sock'), writes)).map((s) => s.status).join() === 'DOWN,UP',
        'HAProxy: auth1 down, auth2 up',
        30_000,
      )
      phase('auth1 out')
      const statuses: number[] = []
      for (let i = 0; i < 40; i++) {
        const r = await fetch(`${urls.auth}/api/v1/auth/register`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            username: `outage${i}`,
            email: `outage${i}@example.com`,
            password: 'outage-password',
          }),
          signal: AbortSignal.timeout(10_000),
        }).catch(() => undefined)
        statuses.push(r?.status ?? 0)
      }
      phase('40 registrations')
      console.log(`broker refused, auth1 hung: 40 registrations through HAProxy, statuses ${[...new Set(statuses)]}`)
      expect(statuses.filter((x) => x !== 201)).toEqual([])
    } finally {
      if (stopped) process.kill(stopped, 'SIGCONT')
      for (const s of SERVICES) {
        const p = permissionsOf(s)
        await rabbitmqctl(['set_permissions', '-p', VHOST, BROKER_USERS[s], p.configure, p.write, p.read])
      }
    }
    await eventually(
      async () => (await Promise.all(instanceUrls.map((i) => ready(i.url)))).every((s) => s === 200),
      'every instance ready again once the broker accepts them',
      90_000,
    )
    phase('all ready again')
    console.log(`broker outage test: ${phases.join(', ')}`)
    // the hung instance was never restarted: it answers again once it runs
    expect((await children()).find((c) => c.id === 'auth1')!.pid).toBe(stopped)
  }, 180_000)
})
