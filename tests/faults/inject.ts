import { AMQPClient } from '@cloudamqp/amqp-client'
import postgres from 'postgres'
import { brokerUrl } from '@shop/platform/testing/broker'
import { serverUrl } from '@shop/platform/testing/databases'
import { dbName, SERVICES, type ServiceName, type Shop, testAmqpUrl } from '../integration/harness.ts'
import { FAULT_VHOST } from './world.ts'

/** The faults, injected into the real servers and processes. */

let brokerStopped = false

/**
 * rabbitmqctl boots an Erlang VM per call, which takes seconds on a machine busy with the load;
 * a raised priority (when allowed) keeps the broker-down window short.
 */
async function ctl(cmd: 'stop_app' | 'start_app'): Promise<number> {
  const niced = Bun.spawnSync(['nice', '-n', '-10', 'true']).exitCode === 0
  const p = Bun.spawn([...(niced ? ['nice', '-n', '-10'] : []), 'rabbitmqctl', cmd], {
    stdout: 'ignore',
    stderr: 'ignore',
  })
  return p.exited
}

/** For an afterAll: the broker must never stay stopped, whatever failed. */
export async function ensureBrokerStarted(): Promise<void> {
  if (brokerStopped) {
    await ctl('start_app')
    brokerStopped = false
  }
}

async function brokerAnswers(): Promise<boolean> {
  const client = new AMQPClient(testAmqpUrl(brokerUrl(), FAULT_VHOST))
  try {
    await Promise.race([client.connect(), Bun.sleep(2000).then(() => Promise.reject(new Error('timeout')))])
    await client.close().catch(() => {})
    return true
  } catch {
    return false
  }
}

export interface Outage {
  /** When stop_app was called, when the broker was running again, when our vhost answered. */
  readonly stopCalled: number
  readonly stopDone: number
  readonly startDone: number
  readonly answering: number
}

/**
 * Stops the whole local broker (`rabbitmqctl stop_app`), keeps it down for `downMs`, and starts it
 * again in a `finally` (`whileDown` runs just before); resolves once our vhost accepts connections again. This affects
 * every user
 * of the broker on the machine, so the window is kept short.
 */
export async function brokerOutage(downMs: number, whileDown: () => Promise<void> = async () => {}): Promise<Outage> {
  const stopCalled = Date.now()
  brokerStopped = true
  let startDone = 0
  let stopDone = 0
  let failure: { error: unknown } | undefined
  try {
    const code = await ctl('stop_app')
    stopDone = Date.now()
    if (code !== 0) throw new Error(`rabbitmqctl stop_app exited with ${code}`)
    await Bun.sleep(downMs)
    await whileDown()
  } catch (error) {
    failure = { error }
  }
  // The broker is started again whatever happened above; a failed start is the error reported (with the
  // earlier one, if any, as its cause), else the earlier one.
  const code = await ctl('start_app')
  brokerStopped = false
  startDone = Date.now()
  if (code !== 0) throw new Error(`rabbitmqctl start_app exited with ${code}`, { cause: failure?.error })
  if (failure) throw failure.error
  const deadline = Date.now() + 60_000
  while (!(await brokerAnswers())) {
    if (Date.now() > deadline) throw new Error('the broker does not answer 60 s after start_app')
    await Bun.sleep(100)
  }
  return { stopCalled, stopDone, startDone, answering: Date.now() }
}

/** Polls every service's /health/ready until stopped; keeps what each answered. */
export function watchReadiness(shop: Shop, everyMs = 100) {
  const seen: { svc: ServiceName; at: number; status: number | 'down'; checks?: Record<string, string> }[] = []
  let on = true
  const loop = (async () => {
    while (on) {
      await Promise.all(
        SERVICES.map(async (svc) => {
          const at = Date.now()
          try {
            const r = await fetch(`${shop[svc].url}/health/ready`, { signal: AbortSignal.timeout(3000) })
            const body = (await r.json().catch(() => ({}))) as { checks?: Record<string, string> }
            seen.push({ svc, at, status: r.status, ...(body.checks ? { checks: body.checks } : {}) })
          } catch {
            seen.push({ svc, at, status: 'down' })
          }
        }),
      )
      await Bun.sleep(everyMs)
    }
  })()
  return {
    seen,
    async stop() {
      on = false
      await loop
      return seen
    },
  }
}

/** SIGKILL (no shutdown at all), a pause, then the same service again on the same database and env. */
export async function killAndRestart(
  shop: Shop,
  svc: ServiceName,
  downMs: number,
): Promise<{ killedAt: number; upAt: number; oldUrl: string; newUrl: string }> {
  const oldUrl = shop[svc].url
  const killedAt = Date.now()
  await shop[svc].stop('SIGKILL')
  shop[svc].url = ''
  await Bun.sleep(downMs)
  await shop[svc].start()
  return { killedAt, upAt: Date.now(), oldUrl, newUrl: shop[svc].url }
}

/** Terminates every server connection to each service's database; returns how many per service. */
export async function terminateConnections(): Promise<Record<ServiceName, number>> {
  const sql = postgres(serverUrl(), { max: 1, onnotice: () => {} })
  try {
    const killed = {} as Record<ServiceName, number>
    for (const svc of SERVICES) {
      const rows =
        await sql`select pid, pg_terminate_backend(pid) as done from pg_stat_activity where datname = ${dbName(svc)}
          and pid <> pg_backend_pid()`
      killed[svc] = rows.filter((r) => r.done).length
    }
    return killed
  } finally {
    await sql.end({ timeout: 2 })
  }
}
