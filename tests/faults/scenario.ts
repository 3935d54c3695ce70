import { SERVICES } from '../integration/harness.ts'
import { quiesce, snapshot, type Verdict, verify } from './invariants.ts'
import { Load } from './load.ts'
import { printReport, table } from './report.ts'
import { logSummary, type World } from './world.ts'

export interface Outcome<T> {
  readonly load: Load
  readonly fault: T
  readonly quiescedMs: number
  readonly verdict: Verdict
}

/**
 * The shape of every fault test: a steady load, the fault injected mid-stream, the load kept up a
 * while after the recovery, then stopped; wait until the shop is quiet and check the invariants.
 */
export async function underLoad<T>(
  w: World,
  o: { warmupMs: number; afterMs: number; clients?: number; pauseMs?: number },
  fault: (load: Load) => Promise<T>,
): Promise<Outcome<T>> {
  const load = new Load(w)
  load.start(o.clients ?? 4, o.pauseMs ?? 40)
  let injected: T
  try {
    await Bun.sleep(o.warmupMs)
    injected = await fault(load)
    await Bun.sleep(o.afterMs)
  } finally {
    await load.stop()
  }
  let waitedMs: number
  try {
    ;({ waitedMs } = await quiesce())
  } catch (e) {
    console.log(`\nthe shop did not quiesce; warnings and errors logged\n${table(logSummary(w.shop))}`)
    debugDump(w, load)
    throw e
  }
  return { load, fault: injected, quiescedMs: waitedMs, verdict: verify(await snapshot(), w) }
}

/** The counts of a run, printed; with FAULT_DEBUG=1 also the services' own story of it. */
export function report<T>(title: string, w: World, r: Outcome<T>, facts: Record<string, unknown>): void {
  printReport(title, r.load, r.verdict.tables, { ...facts, 'quiet again after the load in': `${r.quiescedMs} ms` })
  console.log(`\nwarnings and errors logged\n${table(logSummary(w.shop))}`)
  if (process.env.FAULT_DEBUG) debugDump(w, r.load)
}

/** The services' own story of the run (FAULT_DEBUG=1): requests per second, and what they logged. */
function debugDump(w: World, load: Load): void {
  const lines = SERVICES.flatMap((svc) =>
    w.shop[svc].logs().filter((l) => l.level !== 'debug' && l.msg !== 'request' && l.msg !== 'readiness check failed'),
  )
  lines.sort((a, b) => String(a.time).localeCompare(String(b.time)))
  const t0 = Math.min(...load.samples.map((x) => x.start))
  const perSecond = new Map<number, Record<string, number>>()
  for (const x of load.samples) {
    const sec = Math.floor((x.start - t0) / 1000)
    const row = perSecond.get(sec) ?? {}
    row[`${x.svc}:${x.outcome}`] = (row[`${x.svc}:${x.outcome}`] ?? 0) + 1
    perSecond.set(sec, row)
  }
  for (const svc of SERVICES) {
    const d = load.samples
      .filter((x) => x.svc === svc)
      .map((x) => x.end - x.start)
      .sort((a, b) => a - b)
    console.log(
      `${svc} latency ms: p50 ${d[Math.floor(d.length / 2)]} p90 ${d[Math.floor(d.length * 0.9)]} max ${d.at(-1)}`,
    )
  }
  console.log(`requests per second from ${clock(t0)}`)
  for (const [sec, row] of [...perSecond].sort((a, b) => a[0] - b[0])) console.log(sec, JSON.stringify(row))
  for (const svc of SERVICES) {
    const raw = w.shop[svc].output.filter((l) => !l.startsWith('{'))
    if (raw.length) console.log(`${svc} printed:\n${raw.slice(-40).join('\n')}`)
  }
  console.log(
    lines
      .map(
        (l) =>
          `${String(l.time).slice(11, 23)} ${l.service} ${l.level} ` +
          `${l.msg} ${JSON.stringify(l.error ?? '').slice(0, 200)}`,
      )
      .join('\n'),
  )
}

export const clock = (t: number) => new Date(t).toISOString().slice(11, 23)
