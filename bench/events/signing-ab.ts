/**
 * bench/events/signing-ab: what signing events costs, before/after measured in pairs on the same
 * machine at the same time (this 2-core machine is shared, its load changes from minute to
 * minute): bench/events/run.ts with `--unsigned` (the relay signs nothing, the consumer verifies
 * nothing: the code before signed events, as far as the event path goes) and without (Ed25519
 * signing in the relay, verification in the consumer), in turns, the order alternating.
 *
 *   bun bench/events/signing-ab.ts [--rounds 3] [--events 500] [--burst 5000]
 *
 * Writes bench/results/events-signing.json and copies it to bench/baseline/ for the report
 * (bench/report.ts: "What signing events costs").
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { machineLoad } from '../lib/measure.ts'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    events: { type: 'string', default: '500' },
    burst: { type: 'string', default: '5000' },
  },
})
const ROOT = join(import.meta.dir, '..', '..')
const RESULTS = join(ROOT, 'bench', 'results')
mkdirSync(RESULTS, { recursive: true })

interface EventsResult {
  signed: boolean
  crypto_us: { body_bytes: number; sign: number; verify: number; sign_cpu: number; verify_cpu: number }
  latency_ms: { p50: number; p90: number; p99: number }
  burst: { events_per_second: number }
}

async function once(signed: boolean, round: number): Promise<EventsResult> {
  const out = join(RESULTS, `events-${signed ? 'signed' : 'unsigned'}-${round}.json`)
  const argv = ['bun', 'bench/events/run.ts', '--events', values.events!, '--burst', values.burst!]
  if (!signed) argv.push('--unsigned')
  process.stdout.write(`signing-ab: round ${round}, ${signed ? 'signed' : 'unsigned'}\n`)
  const p = Bun.spawn(argv, {
    cwd: ROOT,
    stdout: 'ignore',
    stderr: 'inherit',
    env: { ...process.env, BENCH_EVENTS_OUT: out },
  })
  if ((await p.exited) !== 0) throw new Error(`${argv.join(' ')} failed`)
  return JSON.parse(readFileSync(out, 'utf8'))
}

const runs: { unsigned: EventsResult[]; signed: EventsResult[] } = { unsigned: [], signed: [] }
for (let r = 0; r < Number(values.rounds); r++) {
  for (const signed of r % 2 === 0 ? [false, true] : [true, false]) {
    runs[signed ? 'signed' : 'unsigned'].push(await once(signed, r))
  }
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const side = (xs: EventsResult[]) => ({
  p50_ms: +median(xs.map((x) => x.latency_ms.p50)).toFixed(2),
  p99_ms: +median(xs.map((x) => x.latency_ms.p99)).toFixed(2),
  events_per_second: Math.round(median(xs.map((x) => x.burst.events_per_second))),
  rounds: {
    p50_ms: xs.map((x) => x.latency_ms.p50),
    events_per_second: xs.map((x) => x.burst.events_per_second),
  },
})
const result = {
  when: new Date().toISOString(),
  method:
    `bench/events/run.ts --events ${values.events} --burst ${values.burst}, ${values.rounds} rounds, ` +
    'unsigned and signed in turns (the order alternating); figures are medians of the rounds.',
  unsigned: side(runs.unsigned),
  signed: side(runs.signed),
  crypto_us: {
    body_bytes: runs.signed[0]!.crypto_us.body_bytes,
    sign: median(runs.signed.map((x) => x.crypto_us.sign)),
    verify: median(runs.signed.map((x) => x.crypto_us.verify)),
    sign_cpu: median(runs.signed.map((x) => x.crypto_us.sign_cpu)),
    verify_cpu: median(runs.signed.map((x) => x.crypto_us.verify_cpu)),
  },
  load_before: await machineLoad(),
}
const file = join(RESULTS, 'events-signing.json')
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`)
mkdirSync(join(ROOT, 'bench', 'baseline'), { recursive: true })
copyFileSync(file, join(ROOT, 'bench', 'baseline', 'events-signing.json'))
console.log(JSON.stringify(result, null, 2))
