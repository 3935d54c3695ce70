/**
 * bench/dev/memory.ts: what `make dev` costs in memory and startup time.
 *
 *   bun bench/dev/memory.ts [--traffic-seconds 60]
 *
 * Starts what `make dev` runs (the Makefile's recipe, bun scripts/dev.ts, of BENCH_SERVICES_ROOT when
 * set: bench/.before for the code before a change; the three services in one process, three
 * embedded PGlite databases, the memory bus) on free ports with a fresh DATA_DIR (a temp directory, removed at the
 * end), and measures:
 *   - startup: from the spawn until the three services answer /health/ready;
 *   - RSS idle after start, and idle after `make seed` (scripts/seed.ts) once the process has
 *     settled (5 s);
 *   - RSS after a minute of traffic (wrk: the catalog's listing, a product by id and orders
 *     placed by the dev admin, at once), then idle again 5 s later; and the peak during it.
 * Writes bench/results/dev-memory.json and prints a markdown table.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { MemorySampler, cores, lua, machineLoad, wrk, writeResult } from '../lib/measure.ts'
import { SERVICES_ROOT, api, freePort, must } from '../lib/shop.ts'

// Read only when run as a script (bench/report.ts imports this module for its markdown).
const { values } = parseArgs({
  strict: import.meta.main,
  args: import.meta.main ? process.argv.slice(2) : [],
  options: { 'traffic-seconds': { type: 'string', default: '60' } },
})
const TRAFFIC_S = Number(values['traffic-seconds'])
const say = (s: string) => process.stdout.write(`bench/dev/memory: ${s}\n`)

const rssMiB = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Math.round((Number(m?.[1]) / 1024) * 10) / 10
}

/** The command `make dev` runs (the Makefile's recipe, of the tree measured), e.g. `bun --smol scripts/dev.ts`. */
function devCommand(): string[] {
  const makefile = readFileSync(join(SERVICES_ROOT, 'Makefile'), 'utf8')
  const recipe = /^dev:.*\n\t(bun [^\n]*scripts\/dev\.ts)\s*$/m.exec(makefile)?.[1]
  if (!recipe) throw new Error("no 'bun … scripts/dev.ts' recipe for dev in the Makefile")
  return recipe.split(/\s+/).map((a) => (a === 'scripts/dev.ts' ? join(SERVICES_ROOT, a) : a))
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'shop-dev-memory-'))
  const ports = { auth: freePort(), catalog: freePort(), order: freePort() }
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    DATA_DIR: dataDir,
    AUTH_PORT: String(ports.auth),
    CATALOG_PORT: String(ports.catalog),
    ORDER_PORT: String(ports.order),
    LOG_LEVEL: 'warn',
  }
  const url = (s: keyof typeof ports) => `http://127.0.0.1:${ports[s]}`
  const load_before = await machineLoad()
  const t0 = performance.now()
  const proc = Bun.spawn(devCommand(), {
    cwd: SERVICES_ROOT,
    env,
    stdout: Bun.file(join(dataDir, 'dev.log')),
    stderr: Bun.file(join(dataDir, 'dev.log')),
  })
  try {
    for (;;) {
      if (performance.now() - t0 > 60_000) throw new Error('make dev not ready within 60 s')
      const ok = await Promise.all(
        (['auth', 'catalog', 'order'] as const).map((s) =>
          fetch(`${url(s)}/health/ready`).then(
            (r) => r.ok,
            () => false,
          ),
        ),
      )
      if (ok.every(Boolean)) break
      await Bun.sleep(20)
    }
    const startup_s = Math.round((performance.now() - t0) / 10) / 100
    await Bun.sleep(5000)
    const idle_after_start = rssMiB(proc.pid)
    say(`ready in ${startup_s} s; RSS idle ${idle_after_start} MiB`)

    const seed = Bun.spawn(['bun', join(SERVICES_ROOT, 'scripts', 'seed.ts')], {
      cwd: SERVICES_ROOT,
      env,
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const seedOut = await new Response(seed.stderr).text()
    if ((await seed.exited) !== 0) throw new Error(`make seed failed: ${seedOut}`)
    await Bun.sleep(5000)
    const idle_after_seed = rssMiB(proc.pid)
    say(`RSS idle after make seed ${idle_after_seed} MiB`)

    const login = await must(
      api(url('auth'), 'POST', '/api/v1/auth/login', { body: { username: 'admin', password: 'admin-password' } }),
      200,
      'admin login',
    )
    const token = login.body.access_token as string
    const list = await must(api(url('catalog'), 'GET', '/api/v1/products?limit=20'), 200, 'products')
    const items = (list.body.items ?? list.body.data ?? list.body) as { id: number }[]
    const ids = items.map((p) => p.id).slice(0, 20)
    if (!ids.length) throw new Error('no products after make seed')
    const mem = new MemorySampler({ dev: proc.pid }).start()
    const reads = `
local ids = { ${ids.join(', ')} }
local i = 0
request = function()
  i = i + 1
  if i % 2 == 0 then return wrk.format("GET", "/api/v1/products?limit=50") end
  return wrk.format("GET", "/api/v1/product/" .. ids[(i % #ids) + 1])
end`
    const orders = `
local ids = { ${ids.join(', ')} }
local i = 0
request = function()
  i = i + 1
  local body = '{"items":[{"product_id":' .. ids[(i % #ids) + 1] .. ',"quantity":1}]}'
  return wrk.format("POST", "/api/v1/order", { ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. ${lua(token)}, ["Idempotency-Key"] = "dev-mem-" .. i }, body)
end`
    say(`${TRAFFIC_S} s of traffic (reads and orders)`)
    const [r, o] = await Promise.all([
      wrk(`${url('catalog')}/api/v1/product`, { script: reads, connections: 4, threads: 1, seconds: TRAFFIC_S }),
      wrk(`${url('order')}/api/v1/order`, { script: orders, connections: 2, threads: 1, seconds: TRAFFIC_S }),
    ])
    const after_traffic = rssMiB(proc.pid)
    const peak = mem.stop().dev
    await Bun.sleep(5000)
    const idle_after_traffic = rssMiB(proc.pid)
    say(`RSS after traffic ${after_traffic} MiB (peak ${peak}), idle 5 s later ${idle_after_traffic} MiB`)
    const result = {
      when: new Date().toISOString(),
      machine: { cores: cores() },
      load_before,
      startup_s,
      rss_mib: { idle_after_start, idle_after_seed, after_traffic, peak_during_traffic: peak, idle_after_traffic },
      traffic: { seconds: TRAFFIC_S, reads: r, orders: o },
    }
    writeResult('dev-memory', result)
    console.log(devMemoryMarkdown(result))
  } finally {
    proc.kill('SIGTERM')
    await proc.exited
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** REPORT.md's section: `after` (this code) and, when kept, `before` (BENCH_SERVICES_ROOT=bench/.before). */
export function devMemorySection(x: any): string {
  const before = x.before ? `\nBefore (BENCH_SERVICES_ROOT=bench/.before):\n${devMemoryMarkdown(x.before)}` : ''
  return `## make dev: memory and startup

Measured by \`bun bench/dev/memory.ts\` (part of \`make bench\`). ${x.note ?? ''}

After (this code):
${devMemoryMarkdown(x.after)}${before}`
}

export function devMemoryMarkdown(x: any): string {
  const m = x.rss_mib
  return (
    `
Run of ${x.when} (load / cpu busy before: ${x.load_before.loadavg_1m} / ${x.load_before.cpu_busy_pct}%):

| measure | value | target |
|---|---:|---:|
| startup (spawn → three services ready) | ${x.startup_s} s | ≤ 5 s |
| RSS idle after start | ${m.idle_after_start} MiB | |
| RSS idle after \`make seed\` | ${m.idle_after_seed} MiB | ≤ 350 MB |
| RSS right after ${x.traffic.seconds} s of traffic (peak during it) | ` +
    `${m.after_traffic} MiB (${m.peak_during_traffic}) | |
| RSS idle 5 s after the traffic | ${m.idle_after_traffic} MiB | ≤ 350 MB |

Traffic: wrk, listing and product reads (4 connections, ${x.traffic.reads.requests_per_second} req/s) and
orders by the dev admin (2 connections, ${x.traffic.orders.requests_per_second} orders/s) at once.
`
  )
}

if (import.meta.main) {
  await main()
  process.exit(0)
}
