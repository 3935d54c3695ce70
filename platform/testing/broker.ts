import { AMQPClient } from '@cloudamqp/amqp-client'
import { inCI } from './databases.ts'
import { brokerUser } from '../src/bus/amqp.ts'
import {
  applyBrokerSetup,
  brokerDefinitions,
  passwordsOf,
  rabbitmqctlAvailable,
  serviceAmqpUrl,
} from '../src/bus/broker-setup.ts'
import { BROKER_USERS, type Service, SERVICES } from '../src/bus/ownership.ts'
import { queueName, TOPOLOGY } from '../src/bus/topology.ts'

export function brokerUrl(): string {
  return process.env.TEST_AMQP_URL ?? process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'
}

let reachable: Promise<boolean> | undefined
function brokerReachable(): Promise<boolean> {
  reachable ??= (async () => {
    const client = new AMQPClient(brokerUrl())
    try {
      await Promise.race([client.connect(), Bun.sleep(3000).then(() => Promise.reject(new Error('timeout')))])
      await client.close()
      return true
    } catch {
      return false
    }
  })()
  return reachable
}

/** Whether broker tests run: yes when reachable; when not, CI fails and a laptop skips with a notice. */
export async function useBroker(): Promise<boolean> {
  if (await brokerReachable()) return true
  if (inCI()) throw new Error(`RabbitMQ at ${brokerUrl()} is not reachable, and CI requires it`)
  console.warn(`[skip] RabbitMQ at ${brokerUrl()} is not reachable: broker tests skipped (they fail in CI)`)
  return false
}

let setupTool: Promise<boolean> | undefined
/**
 * Whether tests that need the shop's broker users run: the broker is reachable and rabbitmqctl
 * (which creates the users) works. When not: CI fails, a laptop skips with a notice.
 */
export async function useBrokerSetup(): Promise<boolean> {
  if (!(await useBroker())) return false
  setupTool ??= rabbitmqctlAvailable()
  if (await setupTool) return true
  if (inCI())
    throw new Error(
      "rabbitmqctl cannot reach the local RabbitMQ node, and CI requires it (it creates the services' broker users)",
    )
  console.warn(
    '[skip] rabbitmqctl cannot reach the local RabbitMQ node: tests ' +
      "needing the services' broker users skipped (they fail in CI)",
  )
  return false
}

/** A unique name prefix per test, so tests share a broker without sharing queues. */
export const testPrefix = () => `test.${crypto.randomUUID().slice(0, 8)}.`

/**
 * Raw access for assertions and cleanup: message counts, reading dead-letter queues, deleting; on
 * the tests' broker unless `url` names another (or another vhost). The connection is closed after.
 */
export async function withBrokerChannel<T>(
  fn: (ch: Awaited<ReturnType<AMQPClient['channel']>>) => Promise<T>,
  url = brokerUrl(),
): Promise<T> {
  const client = new AMQPClient(url)
  await client.connect()
  try {
    return await fn(await client.channel())
  } finally {
    await client.close().catch(() => {})
  }
}

export async function deleteQueues(names: readonly string[], exchanges: readonly string[] = []): Promise<void> {
  await withBrokerChannel(async (ch) => {
    for (const n of names) await ch.queueDelete(n).catch(() => {})
    for (const x of exchanges) await ch.exchangeDelete(x).catch(() => {})
  })
}

/** `base` (an AMQP URL) pointed at `vhost`. */
export function vhostUrl(base: string, vhost: string): string {
  const u = new URL(base)
  u.pathname = `/${vhost}`
  return u.toString()
}

/**
 * The passwords of the services' broker users: from <SERVICE>_AMQP_URL when set (a `make start` .env), else the dev
 * ones.
 */
export const brokerPasswords = (): Record<Service, string> =>
  passwordsOf(Object.fromEntries(SERVICES.map((s) => [s, serviceAmqpUrl(s)])) as Record<Service, string>)

/** `base` (the tests' broker, admin credentials) as `service`'s own broker user, on `vhost`. */
export function serviceUrl(base: string, service: Service, vhost: string): string {
  const u = new URL(vhostUrl(base, vhost))
  u.username = BROKER_USERS[service]
  u.password = brokerPasswords()[service]
  return u.toString()
}

const setUp = new Map<string, Promise<void>>()
/**
 * The shop's broker set-up (users, permissions, topology) on `vhost`, once per test process; `base`'s user gets every
 * permission there.
 */
export function ensureBrokerSetup(base: string, vhost: string): Promise<void> {
  let done = setUp.get(vhost)
  if (!done) {
    done = applyBrokerSetup({ vhost, passwords: brokerPasswords(), admins: [{ name: brokerUser(base) }] })
    done.catch(() => setUp.delete(vhost))
    setUp.set(vhost, done)
  }
  return done
}

/**
 * A vhost of the shop's own (tests, benchmarks) is set up (the services' users, permissions,
 * exchanges) and holds the shop's queues, empty: a fresh start, no leftover messages. The
 * set-up uses rabbitmqctl (AMQP cannot create users); the queues are emptied over AMQP by
 * deleting and declaring them again (with their bindings) as `base`'s user.
 */
export async function resetShopVhost(base: string, vhost: string): Promise<void> {
  await ensureBrokerSetup(base, vhost)
  const client = new AMQPClient(vhostUrl(base, vhost))
  await client.connect()
  try {
    const ch = await client.channel()
    for (const q of TOPOLOGY) {
      await ch.queueDelete(queueName('', q)).catch(() => {})
      await ch.queueDelete(`${queueName('', q)}.dead`).catch(() => {})
    }
    const defs = brokerDefinitions({ vhost, passwords: brokerPasswords() })
    for (const x of defs.exchanges) await ch.exchangeDeclare(x.name, x.type, { durable: true })
    for (const q of defs.queues) await ch.queueDeclare(q.name, { durable: true }, q.arguments)
    for (const b of defs.bindings) await ch.queueBind(b.destination, b.source, b.routing_key)
  } finally {
    await client.close().catch(() => {})
  }
}

/** Runs `rabbitmqctl -q <args>` on the local node; its output, or an error naming the exit code and stderr. */
export async function rabbitmqctl(args: readonly string[]): Promise<string> {
  const p = Bun.spawn(['rabbitmqctl', '-q', ...args], { stdout: 'pipe', stderr: 'pipe' })
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  if (code !== 0) throw new Error(`rabbitmqctl ${args.join(' ')} exited with ${code}: ${err.trim()}`)
  return out
}

/**
 * Consumers per queue of `vhost`, as the broker sees them (`rabbitmqctl list_consumers`): what
 * "attached" means on the broker's side, whatever the client believes.
 */
export async function brokerConsumers(vhost = '/'): Promise<Record<string, number>> {
  const out = await rabbitmqctl(['list_consumers', '-p', vhost, 'queue_name'])
  const counts: Record<string, number> = {}
  for (const line of out.split('\n')) {
    const q = line.trim()
    if (q && q !== 'queue_name') counts[q] = (counts[q] ?? 0) + 1
  }
  return counts
}

/**
 * Closes, on the broker's side, every connection whose client named it `name` (the AMQP
 * `connection_name`), as `rabbitmqctl close_connection` does; returns how many.
 */
export async function closeConnectionsNamed(name: string): Promise<number> {
  const out = await rabbitmqctl(['list_connections', 'pid', 'client_properties'])
  const pids = out
    .split('\n')
    .filter((l) => l.includes(`{"connection_name","${name}"}`))
    .map((l) => l.split('\t')[0]!.trim())
  for (const pid of pids) await rabbitmqctl(['close_connection', pid, 'closed by a test'])
  return pids.length
}
