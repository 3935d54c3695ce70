import { describe, expect, test } from 'bun:test'
import { SERVICES, useServers } from '../integration/harness.ts'
import { brokerOutage, ensureBrokerStarted, watchReadiness } from './inject.ts'
import { unexplained } from './report.ts'
import { clock, report, underLoad } from './scenario.ts'
import { backlogs, deadProcesses, withWorld, type World } from './world.ts'

/**
 * Fault 1: the broker stops (`rabbitmqctl stop_app`) in the middle of a steady load and starts
 * again (`start_app`, in a finally). Requests keep succeeding meanwhile (the outboxes hold the
 * events), readiness says the broker is down, and once it is back every event is delivered,
 * exactly once in effect.
 */
const run = await useServers()
let w: World

describe.skipIf(!run)('fault: the broker stopped and restarted under load', () => {
  withWorld((x) => (w = x), { beforeTearDown: ensureBrokerStarted })

  test('requests keep succeeding, readiness reports the broker down, every event arrives once it is back', async () => {
    let heldWhileDown: Record<string, number> = {}
    const r = await underLoad(w, { warmupMs: 2_000, afterMs: 3_000 }, async () => {
      const readiness = watchReadiness(w.shop)
      try {
        // start_app right after stop_app: booting the broker again already takes seconds.
        const outage = await brokerOutage(0, async () => {
          heldWhileDown = await backlogs()
        })
        return { outage, readiness: await readiness.stop() }
      } finally {
        await readiness.stop()
      }
    })
    const { outage, readiness } = r.fault
    const notReady = readiness.filter((x) => x.status === 503 && x.checks?.broker === 'down')
    const firstDown = Math.min(...notReady.map((x) => x.at))
    const during = r.load.samples.filter((s) => s.start >= firstDown && s.end <= outage.answering)
    report('broker stopped and restarted', w, r, {
      'rabbitmqctl stop_app called': clock(outage.stopCalled),
      'first readiness 503 (broker down)': clock(firstDown),
      'start_app done / our vhost answering': `${clock(outage.startDone)} / ${clock(outage.answering)}`,
      'broker unavailable (first 503 → answering)': `${outage.answering - firstDown} ms`,
      'requests while the broker was down':
        `${during.length} ` + `(${during.filter((s) => s.outcome.startsWith('2')).length} 2xx)`,
      'outbox rows waiting while the broker was down': heldWhileDown,
      '/health/ready 503 (broker down) answers': Object.fromEntries(
        SERVICES.map((svc) => [svc, notReady.filter((x) => x.svc === svc).length]),
      ),
    })

    expect(deadProcesses(w.shop)).toEqual([])
    expect(r.verdict.failures).toEqual([])
    // No request failed at all, while the broker was down or after.
    expect(unexplained(r.load.samples).map((s) => `${s.svc} ${s.op}: ${s.outcome}`)).toEqual([])
    expect(during.filter((s) => s.op === 'place order' && s.outcome === '201').length).toBeGreaterThan(0)
    // The events written meanwhile waited in the outboxes.
    expect(heldWhileDown.order).toBeGreaterThan(0)
    // Every service said it was not ready while the broker was away, and is ready again.
    for (const svc of SERVICES) {
      expect(notReady.filter((x) => x.svc === svc).length).toBeGreaterThan(0)
      expect((await fetch(`${w.shop[svc].url}/health/ready`)).status).toBe(200)
    }
  }, 180_000)
})
