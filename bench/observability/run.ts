/**
 * bench/observability: what metrics and tracing cost, as an A/B/C of the same code in the same
 * run. Three shops run side by side on the local PostgreSQL and RabbitMQ:
 *
 *   off      METRICS_ENABLED=false, no OTEL_EXPORTER_OTLP_ENDPOINT: no metrics, no spans
 *   metrics  METRICS_ENABLED=true (the default), no exporter: what a default deployment pays
 *   traced   metrics and spans exported over OTLP/HTTP to a sink process (bench/observability/sink.ts)
 *
 * Scenarios: GET /api/v1/product/{id} and POST /api/v1/order (wrk), each on the three shops one
 * after the other, the order rotating between rounds; medians over rounds. A Prometheus scrape of
 * every service runs every 5 s during the loads (as Prometheus would). Target: `metrics` within
 * 5% of `off` in req/s; `traced` is reported.
 *
 *   bun bench/observability/run.ts [--rounds 3] [--seconds 10]
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { randomPath } from '../http/run.ts'
import { WRK, cores, measureWithCpu, median, writeResult } from '../lib/measure.ts'
import { ROOT, Service, type Shop, freePort, makeOrderableProducts, makeUsers, startShop } from '../lib/shop.ts'
import { orderScript } from '../orders/run.ts'

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '10' } },
})
const ROUNDS = Number(values.rounds)
const SECONDS = Number(values.seconds)
const PRODUCTS = 20
const say = (s: string) => process.stdout.write(`bench/observability: ${s}\n`)

type Label = 'off' | 'metrics' | 'traced'
interface Side {
  readonly label: Label
  readonly shop: Shop
  readonly tokens: string[]
  readonly products: number[]
}

async function prepare(label: Label, env: Record<string, string>): Promise<Side> {
  const name = `bench_obs_${label}`
  // Three shops of three services share the server's connection limit (and other tests' runs): small pools.
  const all = { DATABASE_POOL_MAX: '4', ...env }
  const shop = await startShop({ name, env: { auth: all, catalog: all, order: all } })
  const products = await makeOrderableProducts(shop, { shopName: name, n: PRODUCTS, label: 'Obs' })
  const users = await makeUsers(shop, 8, `obs${label}`)
  say(`${label}: ready`)
  return { label, shop, tokens: users.map((u) => u.token), products }
}

type Scenario = { key: string; what: string; url: (s: Side) => string; script: (s: Side) => string }
const SCENARIOS: Scenario[] = [
  {
    key: 'product_by_id',
    what: 'GET /api/v1/product/{id}',
    url: (s) => s.shop.catalog.url,
    script: () => randomPath('/api/v1/product/', PRODUCTS),
  },
  {
    key: 'order_post',
    what: 'POST /api/v1/order',
    url: (s) => `${s.shop.order.url}/api/v1/order`,
    script: (s) =>
      orderScript(s.tokens, s.products, `obs-${s.label}-${Date.now()}-${Math.random().toString(36).slice(2)}`),
  },
]

/** Scrapes /metrics of every service of the shops that have it, every 5 s, as Prometheus would. */
function scraper(sides: readonly Side[]): () => void {
  const timer = setInterval(() => {
    for (const s of sides)
      if (s.label !== 'off')
        for (const svc of s.shop.all)
          void fetch(`${svc.url}/metrics`).then(
            (r) => r.arrayBuffer(),
            () => {},
          )
  }, 5000)
  return () => clearInterval(timer)
}

async function main() {
  const started = new Date().toISOString()
  const sink = new Service('otlp-sink', ['bun', join(ROOT, 'bench', 'observability', 'sink.ts')], {
    PORT: String(freePort()),
  })
  await sink.start(10_000, '/health')
  const sides = [
    await prepare('off', { METRICS_ENABLED: 'false' }),
    await prepare('metrics', { METRICS_ENABLED: 'true' }),
    await prepare('traced', { METRICS_ENABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: sink.url }),
  ]
  const stopScraping = scraper(sides)
  try {
    const results: Record<string, Record<Label, Awaited<ReturnType<typeof measureWithCpu>>[]>> = {}
    for (const sc of SCENARIOS) results[sc.key] = { off: [], metrics: [], traced: [] }
    for (let round = 0; round < ROUNDS; round++) {
      for (const sc of SCENARIOS) {
        // rotate which shop goes first, so none is always measured on a machine warmed by another
        const order = [...sides.slice(round % 3), ...sides.slice(0, round % 3)]
        for (const side of order) {
          const r = await measureWithCpu(
            side.shop.all.map((p) => p.pid),
            sc.url(side),
            sc.script(side),
            SECONDS,
          )
          results[sc.key]![side.label].push(r)
          say(
            `round ${round + 1} ${sc.key} ${side.label}: ${r.requests_per_second} req/s, p50 ${r.p50_ms} ms, ` +
              `p99 ${r.p99_ms} ms, non-2xx ${r.non_2xx}, ${r.service_cpu_ms_per_request} ms CPU/req`,
          )
        }
      }
    }
    const spans = (await (await fetch(`${sink.url}/stats`)).json()) as { requests: number; bytes: number }
    const summary = Object.fromEntries(
      SCENARIOS.map((sc) => {
        const r = results[sc.key]!
        const side = (l: Label) => ({
          rps: median(r[l].map((x) => x.requests_per_second)),
          p50_ms: median(r[l].map((x) => x.p50_ms)),
          p99_ms: median(r[l].map((x) => x.p99_ms)),
          cpu_ms: median(r[l].map((x) => x.service_cpu_ms_per_request)),
          non_2xx: r[l].reduce((n, x) => n + x.non_2xx + x.socket_errors, 0),
        })
        const off = side('off')
        const metrics = side('metrics')
        const traced = side('traced')
        const cost = (x: { rps: number }) => Math.round((1 - x.rps / off.rps) * 1000) / 10
        return [
          sc.key,
          {
            what: sc.what,
            off,
            metrics,
            traced,
            metrics_cost_pct: cost(metrics),
            traced_cost_pct: cost(traced),
            metrics_within_5pct: cost(metrics) <= 5,
          },
        ]
      }),
    )
    const result = {
      when: started,
      machine: { cores: cores() },
      method:
        `three shops side by side, database pools of 4 (off: METRICS_ENABLED=false and no exporter; ` +
        `metrics: the default, no exporter; traced: metrics and OTLP/HTTP export to a sink process); ` +
        `each scenario ${ROUNDS} rounds of wrk ${Math.min(WRK.threads, WRK.connections)} ` +
        `threads, ${WRK.connections} connections, ${SECONDS} s (after 2 s warm-up) on each shop in turn, ` +
        `the order rotating; /metrics of every service scraped every 5 s; ` +
        `medians over rounds. Cost = 1 − req/s ÷ req/s of off.`,
      summary,
      exported: spans,
      rounds: results,
    }
    writeResult('observability', result)
    console.log(
      `\n| scenario | off req/s | metrics req/s (cost) | traced req/s (cost) ` +
        `| p50 / p99 ms off → metrics → traced | CPU ms/req off → metrics → traced |\n|---|---:|---:|---:|---|---|`,
    )
    for (const v of Object.values(summary)) {
      console.log(
        `| ${v.what} | ${v.off.rps} | ${v.metrics.rps} (${v.metrics_cost_pct}%) | ${v.traced.rps} ` +
          `(${v.traced_cost_pct}%) | ${v.off.p50_ms}/${v.off.p99_ms} → ${v.metrics.p50_ms}/${v.metrics.p99_ms} ` +
          `→ ${v.traced.p50_ms}/${v.traced.p99_ms} | ${v.off.cpu_ms} → ${v.metrics.cpu_ms} → ${v.traced.cpu_ms} |`,
      )
    }
    say(`the sink received ${spans.requests} OTLP exports, ${Math.round(spans.bytes / 1024 / 1024)} MiB`)
  } finally {
    stopScraping()
    await Promise.all(sides.map((s) => s.shop.stop()))
    await sink.stop()
  }
}

await main()
process.exit(0)
