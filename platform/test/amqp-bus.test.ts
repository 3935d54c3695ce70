import { afterAll, describe, expect, test } from 'bun:test'
import { until } from '../testing/until.ts'
import { AmqpBus, brokerUser } from '../src/bus/amqp.ts'
import type { Handler, Subscription } from '../src/bus/bus.ts'
import { makeEnvelope, type Envelope } from '@shop/kernel/events'
import { type Logger, silentLogger } from '../src/log.ts'
import {
  brokerConsumers,
  brokerUrl,
  closeConnectionsNamed,
  deleteQueues,
  testPrefix,
  useBroker,
  useBrokerSetup,
  withBrokerChannel,
} from '../testing/broker.ts'
import { TcpProxy } from '../testing/tcp-proxy.ts'
import { TEST_EVENT_KEYS as keys } from '../testing/event-keys.ts'
import { KEY_ID_HEADER, SIGNATURE_HEADER } from '../src/bus/signing.ts'

const run = await useBroker()
const cleanup: { queues: string[]; exchanges: string[] } = { queues: [], exchanges: [] }
// Only what the tests declared: with no broker (the suite skipped) there is nothing to delete, and no one to ask.
afterAll(() => (cleanup.queues.length ? deleteQueues(cleanup.queues, cleanup.exchanges) : undefined))

function setup(url = brokerUrl(), maxAttempts = 3) {
  const p = testPrefix()
  const names = { exchange: `${p}events`, dlx: `${p}events.dlx`, queue: `${p}svc.things` }
  cleanup.queues.push(names.queue, `${names.queue}.dead`)
  cleanup.exchanges.push(names.exchange, names.dlx)
  const options: ConstructorParameters<typeof AmqpBus>[0] = {
    url,
    name: `test-${p}`,
    log: silentLogger,
    prefetch: 10,
    maxAttempts,
    exchange: names.exchange,
    deadLetterExchange: names.dlx,
    queuePrefix: p,
    topology: [],
    declareExchanges: true,
    // A scratch topology published to as the test's own user: it owns every type here.
    publishers: { auth: brokerUser(url), catalog: brokerUser(url), order: brokerUser(url) },
    keys: keys.keyring,
  }
  const make = (log: Logger = silentLogger) => new AmqpBus({ ...options, log })
  return { names, make, prefix: p }
}

const envelope = (n: number): Envelope =>
  makeEnvelope(
    'catalog',
    {
      type: 'product.created',
      data: { id: n, name: `p${n}`, price: '1.00', stock: 1, category_id: 1, sku: null, version: 1 },
    },
    `corr-${n}`,
    crypto.randomUUID(),
    new Date(),
  )

/**
 * A bus (from `setup`) consuming its scratch queue: what it received (`got`: the data ids, `envelopes`),
 * or `handler` instead; and `attached`, a wait for the consumer to be attached on both sides (the
 * bus's own view and the broker's list_consumers), which says how long that took.
 */
async function consuming(url = brokerUrl(), o: { maxAttempts?: number; handler?: Handler } = {}) {
  const { make, names, prefix } = setup(url, o.maxAttempts)
  const bus = make()
  const got: number[] = []
  const envelopes: Envelope[] = []
  const collect: Handler = async (e) => {
    envelopes.push(e)
    got.push((e.data as { id: number }).id)
  }
  await bus.subscribe({ service: 'svc', name: 'things', topics: ['product.created'], handler: o.handler ?? collect })
  await bus.waitUntilConnected(10_000)
  const attached = async (ms = 15_000) => {
    const t0 = Date.now()
    await until(() => bus.attachment()[names.queue] === true, ms, `${names.queue} attached`)
    await until(async () => (await brokerConsumers())[names.queue] === 1, ms, `a consumer of ${names.queue}`)
    return Date.now() - t0
  }
  return { bus, got, envelopes, names, prefix, attached }
}

/** The broker behind a proxy the test can cut, stall and restore; `url` reaches the broker through it. */
async function proxiedBroker() {
  const proxy = new TcpProxy('127.0.0.1', Number(new URL(brokerUrl()).port || 5672))
  const url = new URL(brokerUrl())
  url.port = String(await proxy.start())
  return { proxy, url: url.toString() }
}

const deadCount = (queue: string) =>
  withBrokerChannel(async (ch) => (await ch.queueDeclare(`${queue}.dead`, { passive: true })).messageCount)

describe.skipIf(!run)('AMQP bus on the real RabbitMQ', () => {
  test('publish with confirms reaches the consumer, once, with JSON and the envelope intact', async () => {
    const { bus, got, envelopes } = await consuming()
    const sent = [envelope(1), envelope(2), envelope(3)]
    await bus.publish(await keys.sign(sent))
    // a fourth, published after them: once it is in, a second copy of the first three would be too
    const last = envelope(4)
    await bus.publish(await keys.sign([last]))
    await until(() => got.includes(4))
    expect(envelopes.map((e) => e.id).sort()).toEqual([...sent, last].map((e) => e.id).sort())
    expect(envelopes[0]!.correlation_id).toMatch(/^corr-/)
    await bus.close()
  })

  test('a poison message is dead-lettered at once while later messages still flow', async () => {
    const { bus, got, names } = await consuming()
    // signed by the catalog, so the poison gets past the signature to the parsing
    const signed = async (text: string) => {
      const body = new TextEncoder().encode(text)
      const sig = await keys.signers.catalog.sign(body)
      return {
        body,
        props: { deliveryMode: 2, headers: { [SIGNATURE_HEADER]: sig.value, [KEY_ID_HEADER]: sig.keyId } },
      }
    }
    await withBrokerChannel(async (ch) => {
      for (const text of [
        'this is not json',
        JSON.stringify({ ...envelope(9), data: { id: 'wrong type' } }),
        JSON.stringify({ hello: 'x'.repeat(100_000) }),
      ]) {
        const { body, props } = await signed(text)
        await ch.basicPublish(names.exchange, 'product.created', body, props)
      }
    })
    await bus.publish(await keys.sign([envelope(10), envelope(11)]))
    // At least three (a loaded machine can take seconds), then exactly three: none dead-lettered twice.
    await until(async () => (await deadCount(names.queue)) >= 3, 30_000, 'three dead letters')
    await until(() => got.length === 2)
    expect(await deadCount(names.queue)).toBe(3)
    expect(got.sort()).toEqual([10, 11])
    await bus.close()
  })

  test(
    'a handler that keeps failing is retried a bounded number ' +
      'of times, then dead-lettered; a transient failure recovers',
    async () => {
      const attempts = new Map<number, number>()
      const handler: Handler = async (e) => {
        const id = (e.data as { id: number }).id
        attempts.set(id, (attempts.get(id) ?? 0) + 1)
        if (id === 1) throw new Error('always fails')
        if (id === 2 && attempts.get(id)! < 2) throw new Error('fails once')
      }
      const { bus, names } = await consuming(brokerUrl(), { maxAttempts: 3, handler })
      await bus.publish(await keys.sign([envelope(1), envelope(2), envelope(3)]))
      await until(async () => (await deadCount(names.queue)) === 1, 30_000, 'the dead letter')
      await until(() => attempts.get(2) === 2 && attempts.get(3) === 1)
      expect(attempts.get(1)).toBe(3)
      await bus.close()
    },
  )

  test('a handler that cannot reach the database is retried in place until it can, not dead-lettered', async () => {
    let tries = 0
    const later: number[] = []
    const handler: Handler = async (e) => {
      const id = (e.data as { id: number }).id
      if (id !== 1) return void later.push(id)
      if (++tries <= 6)
        throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })
    }
    const { bus, names } = await consuming(brokerUrl(), { maxAttempts: 3, handler })
    await bus.publish(await keys.sign([envelope(1)]))
    await until(() => tries === 7)
    // one published after it: once it is in, a further try of the first would have come first
    await bus.publish(await keys.sign([envelope(2)]))
    await until(() => later.includes(2))
    expect(tries).toBe(7)
    expect(await deadCount(names.queue)).toBe(0)
    await bus.close()
  })

  test(
    'the broker unreachable: publish fails; after it is back the ' +
      'session reconnects, redeclares a deleted queue, and consumes again',
    async () => {
      const { proxy, url } = await proxiedBroker()
      const { bus, got, names } = await consuming(url)
      proxy.cut()
      await until(
        () =>
          bus.ping().then(
            () => false,
            () => true,
          ),
        10_000,
        'the bus to see the broker gone',
      )
      let failed = false
      await bus.publish(await keys.sign([envelope(1)])).catch(() => (failed = true))
      expect(failed).toBe(true)
      await expect(bus.ping()).rejects.toThrow()
      // while it is down, someone deletes the queue: reconnecting must declare it again
      await deleteQueues([names.queue])
      await proxy.restore()
      await bus.waitUntilConnected(15_000)
      await bus.publish(await keys.sign([envelope(2)]))
      await until(() => got.includes(2), 10_000)
      await bus.close()
      proxy.stop()
    },
  )

  test('subscribed while the connection comes up: one consumer, no message handled twice', async () => {
    // The race of a service's start-up: subscribe() is called once the connection is there but
    // before the bus has attached its consumers (here: on the "broker connected" line, which the
    // bus logs between the two). A second attach closed the first consumer's channel under the
    // messages it was handling, so the broker delivered each of them again (a forged event was
    // dead-lettered twice).
    const first = setup()
    const sub = (handler: Handler): Subscription => ({
      service: 'svc',
      name: 'things',
      topics: ['product.created'],
      handler,
    })
    const declared = first.make()
    await declared.subscribe(sub(async () => {}))
    await until(() => declared.attachment()[first.names.queue] === true, 15_000, 'the first consumer attached')
    await declared.stopConsuming()
    const waiting = Array.from({ length: 20 }, (_, i) => envelope(i + 1))
    await declared.publish(await keys.sign(waiting))
    const handled = new Map<number, number>()
    const handler: Handler = async (e) => {
      const id = (e.data as { id: number }).id
      handled.set(id, (handled.get(id) ?? 0) + 1)
      await Bun.sleep(20) // in flight for a while, as a real handler's transaction is
    }
    let bus: AmqpBus | undefined
    const log: Logger = {
      ...silentLogger,
      info(msg) {
        if (msg === 'broker connected') void bus!.subscribe(sub(handler))
      },
    }
    // The same names as `first`: the queue with its 20 messages waiting.
    bus = first.make(log)
    await until(() => handled.size === 20, 15_000, 'the 20 waiting messages handled')
    // One more, published after them: a redelivered copy of the first 20 would be queued before it.
    await bus.publish(await keys.sign([envelope(21)]))
    await until(() => handled.size === 21, 15_000, 'the last message handled')
    // Stopped (what it holds is handled and acked, or handed back): a copy not handled yet is in the queue.
    await bus.stopConsuming()
    const left = await withBrokerChannel(async (ch) => await ch.queueDeclare(first.names.queue, { passive: true }))
    expect([...handled.entries()].filter(([, n]) => n !== 1)).toEqual([])
    expect(left.messageCount).toBe(0)
    await Promise.all([bus.close(), declared.close()])
  })

  test('stopped while its consumer is being attached: the consumer is not left on the queue', async () => {
    // A service told to stop as it starts (a rollout's SIGTERM): stopConsuming found no channel yet,
    // and the attach then finished, leaving a consumer that handed every message back, spending
    // the queue's delivery attempts until the broker dead-lettered them.
    const { make, names } = setup()
    const lines: string[] = []
    let bus: AmqpBus | undefined
    const log: Logger = {
      ...silentLogger,
      debug: (msg) => void lines.push(msg),
      // Between "connected" and the attach's first round trip: the attach is under way when it stops.
      info: (msg) => void (msg === 'broker connected' && queueMicrotask(() => void bus!.stopConsuming())),
    }
    bus = make(log)
    await bus.subscribe({ service: 'svc', name: 'things', topics: ['product.created'], handler: async () => {} })
    const settled = ['consumer attached', 'consumer not attached: stopped while attaching']
    await until(() => lines.some((l) => settled.includes(l)), 15_000, 'the attach settled')
    expect(lines).toContain('consumer not attached: stopped while attaching')
    expect(bus.attachment()[names.queue]).toBe(false)
    await until(async () => !(names.queue in (await brokerConsumers())), 15_000, 'no consumer on the broker')
    await bus.close()
  })

  describe('consumers always come back', () => {
    test('a consumer the broker cancels (its queue deleted under it) is attached again and consumes', async () => {
      const { bus, got, names, attached } = await consuming()
      await attached()
      await deleteQueues([names.queue])
      // The broker's basic.cancel: the bus sees it, says so, declares the queue again and consumes.
      await until(() => bus.attachment()[names.queue] === false).catch(() => {})
      const ms = await attached()
      console.log(`consumer back ${ms} ms after its queue was deleted`)
      await bus.publish(await keys.sign([envelope(7)]))
      await until(() => got.includes(7))
      await bus.close()
    })

    test.skipIf(!run)('rabbitmqctl close_connection: every consumer is attached again', async () => {
      if (!(await useBrokerSetup())) return
      const { bus, got, prefix, attached } = await consuming()
      await attached()
      expect(await closeConnectionsNamed(`test-${prefix}`)).toBe(1)
      const ms = await attached()
      console.log(`consumer back ${ms} ms after close_connection`)
      await bus.publish(await keys.sign([envelope(8)]))
      await until(() => got.includes(8))
      await bus.close()
    })

    test('the broker gone again while reconnecting: the consumer is back once it stays', async () => {
      const { proxy, url } = await proxiedBroker()
      const { bus, got, names, attached } = await consuming(url)
      await attached()
      // Cut, back for a moment (a reconnect starts: TCP, handshake, attaching), cut again in the
      // middle of it, several times at different points, then back for good.
      for (const upMs of [5, 30, 80, 150]) {
        proxy.cut()
        await until(() => bus.attachment()[names.queue] === false)
        await Bun.sleep(300)
        await proxy.restore()
        await Bun.sleep(upMs)
      }
      proxy.cut()
      await Bun.sleep(300)
      await proxy.restore()
      const ms = await attached()
      console.log(`consumer back ${ms} ms after the broker stayed up`)
      await bus.publish(await keys.sign([envelope(9)]))
      await until(() => got.includes(9))
      await bus.close()
      proxy.stop()
    })

    test('a broker that takes connections but does not answer them: back soon after it answers again', async () => {
      const { proxy, url } = await proxiedBroker()
      const { bus, got, names, attached } = await consuming(url)
      await attached()
      // Connections are taken and never answered (a stuck or starting broker): the client's own
      // wait for the handshake is 60 s; the bus gives up on one after seconds and tries again.
      proxy.stall()
      await until(() => bus.attachment()[names.queue] === false)
      await Bun.sleep(1500)
      proxy.unstall()
      const ms = await attached(20_000)
      console.log(`consumer back ${ms} ms after the broker answered again`)
      await bus.publish(await keys.sign([envelope(10)]))
      await until(() => got.includes(10))
      await bus.close()
      proxy.stop()
    })
  })
})
