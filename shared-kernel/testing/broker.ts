import { AMQPClient } from '@cloudamqp/amqp-client'
import { inCI } from './databases.ts'
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

/** A unique name prefix per test, so tests share a broker without sharing queues. */
export const testPrefix = () => `test.${crypto.randomUUID().slice(0, 8)}.`

/** Raw access for assertions and cleanup: message counts, reading dead-letter queues, deleting. */
export async function withBrokerChannel<T>(fn: (ch: Awaited<ReturnType<AMQPClient['channel']>>) => Promise<T>): Promise<T> {
  const client = new AMQPClient(brokerUrl())
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

async function rabbitmqctl(...args: string[]): Promise<number> {
  const p = Bun.spawn(['rabbitmqctl', ...args], { stdout: 'ignore', stderr: 'ignore' })
  return p.exited
}

/** `base` (an AMQP URL) pointed at `vhost`. */
export function vhostUrl(base: string, vhost: string): string {
  const u = new URL(base)
  u.pathname = `/${vhost}`
  return u.toString()
}

/**
 * A vhost of the shop's own (tests, benchmarks) exists and holds no queue of the shop's topology:
 * a fresh start, no leftover messages. Created with rabbitmqctl when missing (AMQP cannot).
 */
export async function resetShopVhost(base: string, vhost: string): Promise<void> {
  let client = new AMQPClient(vhostUrl(base, vhost))
  try {
    await client.connect()
  } catch {
    await rabbitmqctl('add_vhost', vhost)
    await rabbitmqctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*')
    client = new AMQPClient(vhostUrl(base, vhost))
    await client.connect()
  }
  const ch = await client.channel()
  for (const q of TOPOLOGY) {
    await ch.queueDelete(queueName('', q)).catch(() => {})
    await ch.queueDelete(`${queueName('', q)}.dead`).catch(() => {})
  }
  await client.close()
}
