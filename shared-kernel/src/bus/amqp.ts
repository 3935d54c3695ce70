import { AMQPSession, type AMQPMessage, type AMQPSubscription } from '@cloudamqp/amqp-client'
import type { Envelope } from '../event-types.ts'
import type { Logger } from '../log.ts'
import type { Bus, Subscription } from './bus.ts'
import { consumeMessage, DEFAULT_MAX_ATTEMPTS, retryDelay } from './consume.ts'
import { DEAD_LETTER_EXCHANGE, EXCHANGE, type QueueSpec, queueName, TOPOLOGY } from './topology.ts'

export interface AmqpBusOptions {
  readonly url: string
  /** Connection name shown by the broker, e.g. `catalog`. */
  readonly name: string
  readonly log: Logger
  readonly prefetch: number
  readonly maxAttempts?: number
  /** Names, overridable so tests get a topology of their own on a shared broker. */
  readonly exchange?: string
  readonly deadLetterExchange?: string
  readonly queuePrefix?: string
  /** The queues to declare; defaults to the shop's TOPOLOGY (tests declare only their own). */
  readonly topology?: readonly QueueSpec[]
  /** Broker-side bound on redeliveries (x-delivery-limit), a backstop for the in-process count. */
  readonly deliveryLimit?: number
}

type Ops = { withOpsChannel<T>(fn: (ch: { queueDeclare(n: string, p: object, a: object): Promise<unknown> }) => Promise<T>): Promise<T> }

/**
 * The RabbitMQ adapter, on @cloudamqp/amqp-client's AMQPSession (reconnects, recovers consumers).
 *
 * Topology: a durable topic exchange; one durable quorum queue per consumer `<service>.<name>`,
 * bound by routing key, dead-lettering to a direct exchange that routes to `<queue>.dead`. It is
 * declared on every (re)connect. Publishing: persistent messages, publisher confirms.
 * Consuming: bounded prefetch, manual acks after the handler committed; a failed handler is
 * retried with backoff a bounded number of times, then dead-lettered (never requeued forever).
 * A handler that could not reach the database is retried in place until it can, without
 * spending those attempts.
 */
export class AmqpBus implements Bus {
  private session: AMQPSession | undefined
  private connected = false
  private stopped = false
  private consuming = true
  private readonly subs: Subscription[] = []
  private readonly active = new Map<string, AMQPSubscription>()
  private readonly failedRecovery = new Set<string>()
  private readonly attempts = new Map<string, number>()
  private inFlight = 0
  private lock: Promise<unknown> = Promise.resolve()
  private readonly exchange: string
  private readonly dlx: string
  private readonly prefix: string
  private readonly connecting: Promise<void>

  constructor(private readonly o: AmqpBusOptions) {
    this.exchange = o.exchange ?? EXCHANGE
    this.dlx = o.deadLetterExchange ?? DEAD_LETTER_EXCHANGE
    this.prefix = o.queuePrefix ?? ''
    this.connecting = this.connectLoop()
  }

  /** Waits for the first connection (tests, and callers that want to fail fast). */
  async waitUntilConnected(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!this.connected && Date.now() < deadline) await Bun.sleep(20)
    if (!this.connected) throw new Error(`not connected to the broker after ${timeoutMs} ms`)
  }

  // The first connection is retried here until it succeeds; after that AMQPSession reconnects.
  private async connectLoop(): Promise<void> {
    let delay = 250
    while (!this.stopped) {
      try {
        this.session = await AMQPSession.connect(this.o.url, {
          name: this.o.name,
          logger: null,
          reconnectInterval: 250,
          maxReconnectInterval: 5000,
          onconnect: (s) => void this.serial(() => this.onConnected(s as AMQPSession)),
          ondisconnect: (e) => {
            this.connected = false
            if (!this.stopped) this.o.log.warn('broker connection lost', { error: e?.message })
          },
          onrecoverfailed: (queue) => this.failedRecovery.add(queue),
          onreturn: (msg) => this.o.log.error('event unroutable (no queue bound)', { routing_key: msg.routingKey, event_id: msg.properties.messageId }),
        })
        return
      } catch (e) {
        this.o.log.warn('broker unreachable; retrying', { error: (e as Error).message, retry_in_ms: delay })
        await Bun.sleep(delay)
        delay = Math.min(delay * 2, 5000)
      }
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn)
    this.lock = run.catch(() => {})
    return run
  }

  private async onConnected(s: AMQPSession): Promise<void> {
    try {
      await this.declareTopology(s)
      // Consumers whose queue vanished could not be recovered: subscribe them again.
      for (const sub of this.subs) {
        const q = queueName(this.prefix, sub)
        if (!this.active.has(q) || this.failedRecovery.has(q)) {
          await this.active.get(q)?.cancel().catch(() => {})
          this.active.delete(q)
          await this.consume(s, sub)
        }
      }
      this.failedRecovery.clear()
      this.connected = true
      this.o.log.info('broker connected', { exchange: this.exchange })
    } catch (e) {
      this.o.log.error('broker topology setup failed', { error: e })
    }
  }

  private async declareTopology(s: AMQPSession): Promise<void> {
    await s.exchange(this.exchange, 'topic', { durable: true })
    await s.exchange(this.dlx, 'direct', { durable: true })
    const specs = new Map<string, { service: string; name: string; topics: readonly string[] }>()
    for (const q of [...(this.o.topology ?? TOPOLOGY), ...this.subs]) specs.set(queueName(this.prefix, q), q)
    for (const [name, q] of specs) {
      const args = {
        'x-queue-type': 'quorum',
        'x-dead-letter-exchange': this.dlx,
        'x-dead-letter-routing-key': name,
        'x-delivery-limit': this.o.deliveryLimit ?? 20,
      }
      await this.declareQueue(s, name, args)
      await this.declareQueue(s, `${name}.dead`, { 'x-queue-type': 'quorum' })
      const handle = await s.queue(name, { durable: true, arguments: args })
      for (const t of q.topics) await handle.bind(this.exchange, t)
      await (await s.queue(`${name}.dead`, { durable: true, arguments: { 'x-queue-type': 'quorum' } })).bind(this.dlx, name)
    }
  }

  // session.queue() declares only the first time (it caches handles); "redeclared on every
  // reconnect" needs a real queue.declare each time, done on the session's ops channel.
  private async declareQueue(s: AMQPSession, name: string, args: Record<string, unknown>): Promise<void> {
    const ops = s as unknown as Partial<Ops>
    if (typeof ops.withOpsChannel === 'function') {
      await ops.withOpsChannel((ch) => ch.queueDeclare(name, { durable: true, autoDelete: false, exclusive: false }, args))
    }
  }

  async publish(envelopes: readonly Envelope[], traceparents?: readonly (string | null)[]): Promise<void> {
    const s = this.session
    if (!s || !this.connected || s.closed) throw new Error('broker not connected')
    const x = await s.topicExchange(this.exchange, { durable: true, passive: true })
    await Promise.all(
      envelopes.map((env, i) =>
        x.publish(JSON.stringify(env), {
          routingKey: env.type,
          confirm: true,
          mandatory: true,
          deliveryMode: 2,
          contentType: 'application/json' as never,
          messageId: env.id,
          type: env.type,
          appId: env.source,
          timestamp: new Date(env.occurred_at),
          ...(env.correlation_id ? { correlationId: env.correlation_id } : {}),
          ...(traceparents?.[i] ? { headers: { traceparent: traceparents[i] } } : {}),
          // Without a codec registry the typings allow no content type; the header is still sent.
        }),
      ),
    )
  }

  async subscribe(sub: Subscription): Promise<void> {
    this.subs.push(sub)
    await this.serial(async () => {
      const s = this.session
      if (!s || !this.connected) return // onConnected subscribes it
      await this.declareTopology(s)
      await this.consume(s, sub)
    })
  }

  private async consume(s: AMQPSession, sub: Subscription): Promise<void> {
    const name = queueName(this.prefix, sub)
    const q = await s.queue(name)
    const max = this.o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS
    const handle = await q.subscribe({ prefetch: this.o.prefetch, manualAck: true }, async (msg: AMQPMessage) => {
      if (!this.consuming) {
        await msg.nack(true).catch(() => {})
        return
      }
      this.inFlight++
      try {
        const body = msg.bodyString() ?? ''
        const key = msg.properties.messageId ?? `${name}:${Bun.hash(body)}`
        const attempt = (this.attempts.get(key) ?? 0) + 1
        this.attempts.set(key, attempt)
        const tp = msg.properties.headers?.['traceparent']
        const delivery = { queue: name, routingKey: msg.routingKey, traceparent: typeof tp === 'string' ? tp : undefined, metrics: sub.metrics }
        let outcome = await consumeMessage(body, sub.handler, attempt, { maxAttempts: max, topics: sub.topics }, this.o.log, delivery)
        // The database is unreachable: no fault of the message. Retry here, holding the message,
        // so neither its attempts nor the broker's redelivery limit are spent, until it is back.
        for (let wait = 1; outcome === 'unavailable' && this.consuming; wait++) {
          await Bun.sleep(retryDelay(wait))
          outcome = await consumeMessage(body, sub.handler, attempt, { maxAttempts: max, topics: sub.topics }, this.o.log, delivery)
        }
        if (outcome === 'unavailable') {
          await msg.nack(true) // stopping: hand it back as it came
        } else if (outcome === 'retry') {
          await Bun.sleep(retryDelay(attempt))
          await msg.nack(true)
        } else {
          this.attempts.delete(key)
          if (outcome === 'ack') await msg.ack()
          else await msg.nack(false) // to <queue>.dead through the dead-letter exchange
        }
      } catch (e) {
        // The channel closed under us: the broker redelivers; the inbox makes that harmless.
        this.o.log.warn('ack failed', { queue: name, error: (e as Error).message })
      } finally {
        this.inFlight--
      }
    })
    this.active.set(name, handle)
  }

  async stopConsuming(): Promise<void> {
    this.consuming = false
    const deadline = Date.now() + 5000
    while (this.inFlight > 0 && Date.now() < deadline) await Bun.sleep(5)
    await Promise.all([...this.active.values()].map((h) => h.cancel().catch(() => {})))
    this.active.clear()
  }

  async ping(): Promise<void> {
    if (!this.connected || !this.session || this.session.closed) throw new Error('broker not connected')
  }

  async close(): Promise<void> {
    if (this.consuming) await this.stopConsuming()
    this.stopped = true
    await this.connecting.catch(() => {})
    await this.session?.stop().catch(() => {})
  }
}
