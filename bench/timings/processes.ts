/**
 * Two times the tests assert only as facts (tests/embedding.test.ts: importing the three cores starts
 * nothing and the process exits by itself; platform/test/health.test.ts: /health/live answers while a
 * readiness check hangs), measured here since a wall-clock limit in `make test` fails on a busy machine:
 * how long `bun` takes to import @shop/auth, @shop/catalog and @shop/order and exit, and how long
 * /health/live takes with a database check that never settles.
 *
 *   bun bench/timings/processes.ts [--runs 10]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createHttpApp } from '@shop/platform/http/app'
import { silentLogger } from '@shop/platform/log'
import { call } from '@shop/platform/testing/http'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } })
const runs = Number(values.runs)
const root = join(import.meta.dir, '..', '..')
const pct = (xs: number[], p: number) =>
  xs.toSorted((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!
const line = (what: string, xs: number[]) =>
  console.log(
    `  ${what}: p50 ${pct(xs, 0.5).toFixed(1)} ms, p90 ${pct(xs, 0.9).toFixed(1)} ms, max ${pct(xs, 1).toFixed(1)} ms`,
  )

const probe = join(root, 'bench', 'timings', '.embed-probe.ts')
writeFileSync(probe, "import '@shop/auth'\nimport '@shop/catalog'\nimport '@shop/order'\n")
const cwd = mkdtempSync(join(tmpdir(), 'shop-embed-bench-'))
const imports: number[] = []
try {
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    const code = await Bun.spawn(['bun', probe], { cwd, stdout: 'ignore', stderr: 'inherit' }).exited
    if (code !== 0) throw new Error(`the import probe exited with ${code}`)
    imports.push(performance.now() - t)
  }
} finally {
  rmSync(probe, { force: true })
  rmSync(cwd, { recursive: true, force: true })
}

const app = createHttpApp({
  service: 'svc',
  log: silentLogger,
  bodyLimit: 1000,
  ready: { database: () => new Promise(() => {}) },
  docs: { title: 't', version: '1', description: '', tokenUrl: '/x' },
})
const live: number[] = []
for (let i = 0; i < runs * 10; i++) {
  const t = performance.now()
  const r = await call(app, 'GET', '/health/live')
  if (r.status !== 200) throw new Error(`/health/live answered ${r.status}`)
  live.push(performance.now() - t)
}
console.log(`${runs} runs`)
line('bun importing the three cores, then exiting', imports)
line('/health/live while the readiness check hangs', live)
