/**
 * An operator's real Prometheus on the dashboard and the alerts: Debian's prometheus (`make prometheus` installs
 * it) scrapes the three services running as processes on the real PostgreSQL and RabbitMQ
 * (tests/integration/harness.ts) every second, with observability/alerts.yml loaded as its rules, after a little of
 * everything (registrations, logins good and bad, a tree, products, orders confirmed by the catalog, a 404). Then
 * its HTTP API is asked for every query of the Grafana dashboard (its `$service` and `$route` variables as All) and
 * every alert's expression, each of which must answer at least one series:
 * - a dashboard query, as it is written;
 * - an alert expression with its threshold cut off (`<expr> > 0.05` is asked as `<expr>`); where even that is
 *   empty on a healthy shop (dead letters, a detached consumer, stranded orders: conditions that have not
 *   happened), each metric it names must have series of its own.
 * The rules also pass `promtool check rules`, and Prometheus reports every rule loaded and healthy.
 * Without prometheus the test is skipped with a notice, except under CI=true, where it fails.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  api,
  eventually,
  root,
  type Shop,
  useServers,
  withShop,
  adminToken,
  categoryId,
} from './integration/harness.ts'

const PROMETHEUS = Bun.which('prometheus')
const PROMTOOL = Bun.which('promtool')
if ((!PROMETHEUS || !PROMTOOL) && process.env.CI === 'true')
  throw new Error('prometheus and promtool are required under CI=true (make prometheus installs them)')
if (!PROMETHEUS || !PROMTOOL) console.warn('prometheus: not installed (make prometheus); the test is skipped')
const run = Boolean(PROMETHEUS && PROMTOOL) && (await useServers())

const DASHBOARD = join(root, 'observability/grafana/dashboards/shop.json')
const RULES = join(root, 'observability/alerts.yml')

type Series = { metric: Record<string, string>; value: [number, string] }

describe.skipIf(!run)('a real Prometheus scraping the shop', () => {
  let shop: Shop
  withShop((s) => (shop = s))
  let dir: string
  let prom: ReturnType<typeof Bun.spawn>
  let url: string

  const query = async (expr: string): Promise<Series[]> => {
    const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)
    const body = (await r.json()) as { status: string; error?: string; data?: { result: Series[] } }
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`)
    return body.data?.result ?? []
  }

  beforeAll(async () => {
    // A little of everything the dashboard and the alerts look at.
    const name = `prom_${Date.now().toString(36)}`
    const reg = await api(shop.auth.url, 'POST', '/api/v1/auth/register', {
      body: { username: name, email: `${name}@example.com`, password: 'password-123' },
    })
    expect(reg.status).toBe(201)
    const user = (
      await api(shop.auth.url, 'POST', '/api/v1/auth/login', {
        body: { username: name, password: 'password-123' },
      })
    ).body.access_token
    expect(
      (await api(shop.auth.url, 'POST', '/api/v1/auth/login', { body: { username: name, password: 'nope-nope' } }))
        .status,
    ).toBe(401)
    const admin = await adminToken(shop.auth.url)
    const catId = await categoryId(shop.catalog.url, admin, 'Scraped')
    const prod = await api(shop.catalog.url, 'POST', '/api/v1/product', {
      token: admin,
      body: { name: 'Gauge', price: '9.99', stock: 5, category_id: catId },
    })
    expect(prod.status).toBe(201)
    await api(shop.catalog.url, 'GET', '/api/v1/nothing-here')
    const place = () =>
      api(shop.order.url, 'POST', '/api/v1/order', {
        token: user,
        body: { items: [{ product_id: prod.body.id, quantity: 1 }] },
      })
    // The order service learns the product from its event first.
    const first = await eventually(async () => {
      const r = await place()
      return r.status === 201 && r.body
    }, 'the product to reach the order service')
    await eventually(async () => {
      const r = await api(shop.order.url, 'GET', `/api/v1/order/${first.id}`, { token: user })
      return r.body.status !== 'pending' && r.body
    }, 'the order to be settled')

    dir = mkdtempSync(join(tmpdir(), 'shop-prometheus-'))
    const probe = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() })
    const port = probe.port
    probe.stop(true)
    url = `http://127.0.0.1:${port}`
    const target = (u: string) => new URL(u).host
    writeFileSync(join(dir, 'alerts.yml'), readFileSync(RULES, 'utf8'))
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'rule_files: [alerts.yml]',
        'scrape_configs:',
        ...(['auth', 'catalog', 'order'] as const).map(
          (s) => `  - { job_name: ${s}, static_configs: [{ targets: ["${target(shop[s].url)}"] }] }`,
        ),
        '',
      ].join('\n'),
    )
    prom = Bun.spawn(
      [
        PROMETHEUS!,
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdout: 'ignore', stderr: 'ignore' },
    )
    process.once('exit', () => prom.kill('SIGKILL'))
    // Every target up, and enough scrapes after the traffic for the rates over 1m (two samples or more).
    await eventually(
      async () => (await query('count(up == 1)').catch(() => []))[0]?.value[1] === '3',
      `prometheus to scrape the three services (${url})`,
      30_000,
    )
    await eventually(
      async () => Number((await query('count_over_time(up{job="order"}[1m])').catch(() => []))[0]?.value[1]) >= 3,
      'three scrapes',
      30_000,
    )
  }, 120_000)

  afterAll(async () => {
    prom?.kill('SIGTERM')
    await prom?.exited
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('promtool check rules: the alerting rules are valid', async () => {
    const p = Bun.spawn([PROMTOOL!, 'check', 'rules', RULES], { stdout: 'pipe', stderr: 'pipe' })
    const [code, out] = await Promise.all([p.exited, new Response(p.stdout).text()])
    expect({ code, out: out.includes('SUCCESS') }).toEqual({ code: 0, out: true })
  })

  test('every query of the dashboard answers a series (service and route: All)', async () => {
    const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      templating: { list: { name: string }[] }
      panels: { title: string; targets?: { expr: string }[] }[]
    }
    expect(dash.templating.list.map((v) => v.name)).toEqual(['service', 'route'])
    const empty: string[] = []
    let asked = 0
    for (const p of dash.panels)
      for (const t of p.targets ?? []) {
        asked++
        const expr = t.expr.replaceAll('$service', '.*').replaceAll('$route', '.*')
        if ((await query(expr)).length === 0) empty.push(`${p.title}: ${t.expr}`)
      }
    // The variables' own queries name real values too.
    const services = await query('count by (service) (http_server_request_duration_seconds_count)')
    expect(services.map((s) => s.metric.service).sort()).toEqual(['auth', 'catalog', 'order'])
    console.log(`prometheus: ${asked} dashboard queries asked, ${asked - empty.length} answered a series`)
    expect(empty).toEqual([])
  })

  test('every alert expression answers (its threshold cut off), or every metric it names exists', async () => {
    const rules = Bun.YAML.parse(readFileSync(RULES, 'utf8')) as {
      groups: { rules: { alert: string; expr: string }[] }[]
    }
    const alerts = rules.groups.flatMap((g) => g.rules)
    expect(alerts.map((a) => a.alert).sort()).toEqual([
      'ShopConsumerDetached',
      'ShopDeadLetterGrowth',
      'ShopDeadLettersWaiting',
      'ShopHighErrorRate',
      'ShopHighLatencyP99',
      'ShopOutboxLag',
      'ShopReservationsResent',
      'ShopServiceDown',
      'ShopSlowSaga',
      'ShopStrandedOrders',
    ])
    const how: string[] = []
    const missing: string[] = []
    for (const a of alerts) {
      const expr = a.expr.trim()
      const cut = /^([\s\S]*?)\s*(?:>|<|==|!=|>=|<=)\s*[\d.]+$/.exec(expr)?.[1]
      const joined = /\b(?:and|or|unless)\s+on\b/.test(expr)
      if (cut && !joined && (await query(cut)).length > 0) {
        how.push(`${a.alert}: by its expression`)
        continue
      }
      const names = [
        ...new Set(
          expr.replace(/"[^"]*"/g, '').match(/\bshop_[a-z_]+|\b[a-z_]+_(?:total|seconds|count|bucket|bytes)\b|\bup\b/g),
        ),
      ]
      for (const n of names) if ((await query(n)).length === 0) missing.push(`${a.alert}: ${n}`)
      how.push(`${a.alert}: by its metrics (${names.join(', ')})`)
    }
    console.log(`prometheus: alerts checked\n  ${how.join('\n  ')}`)
    expect(missing).toEqual([])
  })

  test('Prometheus loaded every rule, and each evaluates without error', async () => {
    const r = (await (await fetch(`${url}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] }
    }
    const rules = r.data.groups.flatMap((g) => g.rules)
    expect(rules.length).toBe(10)
    await eventually(async () => {
      const again = (await (await fetch(`${url}/api/v1/rules`)).json()) as typeof r
      return again.data.groups.flatMap((g) => g.rules).every((x) => x.health === 'ok')
    }, 'every rule evaluated')
  })
})
