import { describe, expect, test } from 'bun:test'
import { brokerConsumers } from '@shop/platform/testing/broker'
import { queueName, TOPOLOGY } from '@shop/platform/bus/topology'
import { SERVICES, useServers } from '../integration/harness.ts'
import { brokerOutage, ensureBrokerStarted, watchReadiness } from './inject.ts'
import { unexplained } from './report.ts'
import { clock, report, underLoad } from './scenario.ts'
import { backlogs, deadProcesses, FAULT_VHOST, withWorld, type World } from './world.ts'

/**
 * Fault 1: the broker stops (`rabbitmqctl stop_app`) in the middle of a steady load and starts
 * again (`start_app`, in a finally). Requests keep succeeding meanwhile (the outboxes hold the
 * events), readiness says the broker is down, and once it is back every event is delivered,
 * exactly once in effect. Every consumer of every service is attached again within 5 s of the broker
 * answering: each service's readiness (its `consumers` check) says so, and the broker's own list of
 * consumers (`rabbitmqctl list_consumers`) agrees.
 */
const run = await useServers()
let w: World

describe.skipIf(!run)('fault: the broker stopped and restarted under load', () => {
  withWorld((x) => (w = x), { beforeTearDown: ensureBrokerStarted })

  test('requests keep succeeding, readiness reports the broker down, every event arrives once it is back', async () => {
    const heldWhileDown: Record<string, number> = {}
    const r = await underLoad(w, { warmupMs: 2_000, afterMs: 3_000 }, async () => {
      const readiness = watchReadiness(w.shop)
      try {
        // The outboxes sampled all along; what they held between stop_app and start_app counts.
        const samples: { at: number; held: Record<string, number> }[] = []
        let sampling = true
        const sampler = (async () => {
          while (sampling) {
            const at = Date.now()
            const held = await backlogs().catch(() => undefined)
            if (held) samples.push({ at, held })
            await Bun.sleep(200)
          }
        })()
        // start_app right after stop_app: booting the broker again already takes seconds.
        const outage = await brokerOutage(0).finally(() => {
          sampling = false
        })
        await sampler
        for (const x of samples.filter((x) => x.at >= outage.stopDone && x.at <= outage.startDone))
          for (const [svc, n] of Object.entries(x.held)) heldWhileDown[svc] = Math.max(heldWhileDown[svc] ?? 0, n)
        // Every service ready again (database, broker, every consumer attached): when, after the broker answered.
        const readyAt = await allReady(w, 30_000)
        const consumers = await brokerConsumers(FAULT_VHOST)
        return { outage, readyAt, consumers, readiness: await readiness.stop() }
      } finally {
        await readiness.stop()
      }
    })
    const { outage, readiness, readyAt, consumers } = r.fault
    const reattachMs = readyAt - outage.answering
    const notReady = readiness.filter((x) => x.status === 503 && x.checks?.broker === 'down')
    const firstDown = Math.min(...notReady.map((x) => x.at))
    const during = r.load.samples.filter((s) => s.start >= firstDown && s.end <= outage.answering)
    report('broker stopped and restarted', w, r, {
      'rabbitmqctl stop_app called': clock(outage.stopCalled),
      'first readiness 503 (broker down)': clock(firstDown),
      'start_app done / our vhost answering': `${clock(outage.startDone)} / ${clock(outage.answering)}`,
      'broker unavailable (first 503 → answering)': `${outage.answering - firstDown} ms`,
      'every consumer attached again (all ready) after the broker answered': `${reattachMs} ms`,
      'consumers per queue then (list_consumers)': consumers,
      'requests while the broker was down':
        `${during.length} ` + `(${during.filter((s) => s.outcome.startsWith('2')).length} 2xx)`,
      'outbox rows waiting while the broker was down (the most seen)': heldWhileDown,
      '/health/ready 503 (broker down) answers': Object.fromEntries(
        SERVICES.map((svc) => [svc, notReady.filter((x) => x.svc === svc).length]),
      ),
    })

    expect(deadProcesses(w.shop)).toEqual([])
    // Attached again after the broker answered, on the services' word (allReady) and the broker's. How soon
    // (the target: within 5 s) is the figure printed above, not asserted: a wall clock fails on a busy machine.
    expect(TOPOLOGY.map((q) => queueName('', q)).filter((q) => !consumers[q])).toEqual([])
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

/** When every service's /health/ready answered 200 (polled every 100 ms, up to `ms`). */
async function allReady(w: World, ms: number): Promise<number> {
  const deadline = Date.now() + ms
  for (;;) {
    const at = Date.now()
    const ok = await Promise.all(
      SERVICES.map((svc) =>
        fetch(`${w.shop[svc].url}/health/ready`, { signal: AbortSignal.timeout(2000) }).then(
          (r) => r.ok,
          () => false,
        ),
      ),
    )
    if (ok.every(Boolean)) return at
    if (Date.now() > deadline) {
      // What each says, and its last warnings: why it is not ready.
      const said = await Promise.all(
        SERVICES.map(async (svc) => {
          const body = await fetch(`${w.shop[svc].url}/health/ready`).then(
            (r) => r.text(),
            (e: Error) => e.message,
          )
          const logs = w.shop[svc]
            .logs()
            .filter((l) => (l.level === 'warn' || l.level === 'error') && l.msg !== 'readiness check failed')
            .slice(-6)
            .map((l) => `${String(l.time).slice(11, 23)} ${l.msg} ${JSON.stringify(l.error ?? '').slice(0, 160)}`)
          return `${svc}: ${body}\n  ${logs.join('\n  ')}`
        }),
      )
      throw new Error(`not every service ready ${ms} ms after the broker answered:\n${said.join('\n')}`)
    }
    await Bun.sleep(100)
  }
}
