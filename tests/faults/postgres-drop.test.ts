import { describe, expect, test } from 'bun:test'
import { type ServiceName, SERVICES, useServers } from '../integration/harness.ts'
import { terminateConnections } from './inject.ts'
import type { Sample } from './load.ts'
import { unexplained } from './report.ts'
import { clock, report, underLoad } from './scenario.ts'
import { deadProcesses, withWorld, type World } from './world.ts'

/**
 * Fault 3: every PostgreSQL connection of every service terminated by the server
 * (`pg_terminate_backend`), three times during a steady load. Requests in flight at that moment
 * may fail with a 5xx; the services reconnect by themselves, later requests succeed, consumers and
 * relays carry on, and in the end every invariant holds.
 */
const run = await useServers()
let w: World
const GRACE_MS = 2_500

describe.skipIf(!run)('fault: PostgreSQL connections dropped under load', () => {
  withWorld((x) => (w = x))

  test('in-flight requests may fail; the services recover by themselves; nothing lost or doubled', async () => {
    const r = await underLoad(w, { warmupMs: 1_500, afterMs: 5_000, clients: 6, pauseMs: 25 }, async () => {
      const rounds: { at: number; killed: Record<ServiceName, number> }[] = []
      for (let i = 0; i < 3; i++) {
        if (i) await Bun.sleep(1_500)
        rounds.push({ at: Date.now(), killed: await terminateConnections() })
      }
      return rounds
    })
    const rounds = r.fault
    const last = rounds.at(-1)!.at
    // A request failed because of a termination when it was in flight then, or began just after
    // it (on a connection the pool had not yet seen die).
    const nearTermination = (s: Sample) => rounds.some((x) => s.end >= x.at && s.start <= x.at + GRACE_MS)
    const failed = r.load.samples.filter((s) => /^5/.test(s.outcome))
    const later = r.load.samples.filter((s) => s.start > last + GRACE_MS)
    const failedOps = failed.map((s) => `${s.svc} ${s.op}`)
    const failedByOp = Object.fromEntries(
      [...new Set(failedOps)].map((k) => [k, failedOps.filter((o) => o === k).length]),
    )
    report('PostgreSQL connections terminated', w, r, {
      terminations: rounds.map((x) => `${clock(x.at)} ${JSON.stringify(x.killed)}`).join('; '),
      '5xx answers': `${failed.length}: ${JSON.stringify(failedByOp)}`,
      [`requests more than ${GRACE_MS} ms after the last termination`]:
        `${later.length} ` + `(${later.filter((s) => s.outcome.startsWith('2')).length} 2xx)`,
    })

    expect(deadProcesses(w.shop)).toEqual([])
    expect(r.verdict.failures).toEqual([])
    for (const x of rounds) for (const svc of SERVICES) expect(x.killed[svc]).toBeGreaterThan(0)
    // 5xx only for requests caught by a termination; no request went unanswered or hung.
    const excused = (s: Sample) => /^5/.test(s.outcome) && nearTermination(s)
    expect(
      unexplained(r.load.samples, excused).map((s) => `${s.svc} ${s.op}: ${s.outcome} at ${clock(s.start)}`),
    ).toEqual([])
    expect(later.length).toBeGreaterThan(0)
    for (const svc of SERVICES) expect((await fetch(`${w.shop[svc].url}/health/ready`)).status).toBe(200)
  }, 180_000)
})
