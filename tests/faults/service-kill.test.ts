import { describe, expect, test } from 'bun:test'
import { useServers } from '../integration/harness.ts'
import { killAndRestart } from './inject.ts'
import { unexplained } from './report.ts'
import { clock, report, underLoad } from './scenario.ts'
import { deadProcesses, withWorld, type World } from './world.ts'

/**
 * Fault 2: a service killed with SIGKILL in the middle of a steady load (no shutdown: requests,
 * consumer transactions and relay batches cut wherever they were), then started again with the
 * same environment on the same database. The new process listens on a new port; the clients
 * follow it. Only requests to the killed service while it was gone may fail (no answer); after
 * the restart, every event is delivered and applied once, and no order is left half-done.
 */
const run = await useServers()
let w: World

describe.skipIf(!run)('fault: a service killed with SIGKILL under load and restarted', () => {
  withWorld((x) => (w = x))

  for (const svc of ['catalog', 'order'] as const) {
    test(`${svc}: killed mid-stream, restarted on the same database; nothing lost, nothing doubled`, async () => {
      const r = await underLoad(w, { warmupMs: 2_000, afterMs: 3_000, clients: 6, pauseMs: 25 }, () =>
        killAndRestart(w.shop, svc, 1_000),
      )
      const { killedAt, upAt, oldUrl, newUrl } = r.fault
      const gone = r.load.samples.filter((s) => s.svc === svc && s.outcome === 'down')
      const afterRestart = r.load.samples.filter((s) => s.svc === svc && s.start >= upAt)
      report(`${svc} killed (SIGKILL) and restarted`, w, r, {
        killed: `${clock(killedAt)} (${oldUrl})`,
        'ready again': `${clock(upAt)} (${newUrl}), ${upAt - killedAt} ms later`,
        [`requests to ${svc} without an answer`]: gone.length,
        [`requests to ${svc} after the restart`]:
          `${afterRestart.length} ` + `(${afterRestart.filter((s) => s.outcome.startsWith('2')).length} 2xx)`,
      })

      expect(deadProcesses(w.shop)).toEqual([])
      expect(r.verdict.failures).toEqual([])
      expect(newUrl).not.toBe(oldUrl)
      // Only the killed service failed to answer, and only while it was gone; nothing answered 5xx.
      const excused = (s: (typeof r.load.samples)[number]) =>
        s.svc === svc && s.outcome === 'down' && s.end >= killedAt && s.start <= upAt
      expect(
        unexplained(r.load.samples, excused).map((s) => `${s.svc} ${s.op}: ${s.outcome} at ${clock(s.start)}`),
      ).toEqual([])
      expect(afterRestart.filter((s) => s.outcome.startsWith('2')).length).toBeGreaterThan(0)
    }, 180_000)
  }
})
