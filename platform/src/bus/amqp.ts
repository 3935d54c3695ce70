import { AMQPSession, type AMQPMessage, type AMQPSubscription } from '@cloudamqp/amqp-client'
import type { Logger } from '../log.ts'
import type { Bus, OutgoingEvent, Subscription } from './bus.ts'
import { consumeMessage, DEFAULT_MAX_ATTEMPTS, MAX_EVENT_BYTES, retryDelay } from './consume.ts'
import { BROKER_USERS, type Service } from './ownership.ts'
import { type EventKeyring, KEY_ID_HEADER, SIGNATURE_HEADER } from './signing.ts'
import {
  DEAD_LETTER_EXCHANGE,
  DEAD_QUEUE_ARGUMENTS,
  EXCHANGE,
  type QueueSpec,
  queueArguments,
  queueName,
  TOPOLOGY,
} from './topology.ts'

export interface AmqpBusOptions {
  readonly url: string
  /** Connection name shown by the broker, e.g. `catalog`. */
  readonly name: string
  /**
   * The service this bus belongs to: it declares only its own queues (its broker user may
   * configure nothing else). Unset: every queue of `topology`.
   */
  readonly service?: Service
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
  /**
   * The broker user of each event owner: a message is applied only when its validated `user_id`
   * is its owner's. Defaults to BROKER_USERS (tests on a scratch topology name their own).
   */
  readonly publishers?: Readonly<Record<Service, string>>
  /** The public keys of every service (EVENT_PUBLIC_KEYS): a message is read only when its owner signed it. */
  readonly keys: EventKeyring
  /**
   * Declare the two exchanges (tests on a scratch topology). Otherwise they must exist (created
   * by the broker set-up, `make broker`) and are only checked: a service may not configure them.
   */
  readonly declareExchanges?: boolean
}

type Ops = {
  withOpsChannel<T>(
    fn: (ch: { queueDeclare(n: string, p: object, a: object): Promise<unknown> }) => Promise<T>,
  ): Promise<T>
}

/**
 * The RabbitMQ adapter, on @cloudamqp/amqp-client's AMQPSession (reconnects, recovers consumers).
 *
 * Topology: a durable topic exchange; one durable quorum queue per consumer `<service>.<name>`,
 * bound by routing key, dead-lettering to a direct exchange that routes to `<queue>.dead`. It is
 * declared on every (re)connect (a service declares its own queues; the exchanges and every
 * queue exist from the broker set-up). Publishing: the signed bytes as they are with the signature
 * in headers (signing.ts), persistent messages, publisher confirms, and the AMQP `user_id` of the
 * connection's user, which the broker validates.
 * Consuming: bounded prefetch, manual acks after the handler committed; an event is applied only
 * when its owner signed and published it (its key, `user_id` and `source`, see consumeOne). A failed
 * handler is retried with backoff a bounded number of times, then dead-lettered (never requeued
 * forever). A handler that could not reach the database is retried in place until it can,
 * without spending those attempts. Retries hand the very message back to the broker (requeue),
 * never a copy, so a retried message still carries its original publisher.
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
  /** The connection's user: what the broker requires `user_id` to be. */
  private readonly userId: string
  private readonly topology: readonly QueueSpec[]

  constructor(private readonly o: AmqpBusOptions) {
    this.exchange = o.exchange ?? EXCHANGE
    this.dlx = o.deadLetterExchange ?? DEAD_LETTER_EXCHANGE
    this.prefix = o.queuePrefix ?? ''
    this.userId = brokerUser(o.url)
    const all = o.topology ?? TOPOLOGY
    this.topology = o.service ? all.filter((q) => q.service === o.service) : all
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
          onreturn: (msg) =>
            this.o.log.error('event unroutable (no queue bound)', {
              routing_key: msg.routingKey,
              event_id: msg.properties.messageId,
            }),
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
          await this.active
            .get(q)
            ?.cancel()
            .catch(() => {})
          this.active.delete(q)
          await this.consume(s, sub)
        }
      }
      this.failedRecovery.clear()
      this.connected = true
      this.o.log.info('broker connected', { exchange: this.exchange, user: this.userId })
    } catch (e) {
      // Most often the broker set-up has not run (no exchange, no permission): say so, and try
      // again, so the service comes up once `make broker` has been run.
      this.o.log.error('broker topology setup failed (has the broker set-up, make broker, been run?); retrying', {
        error: e,
        user: this.userId,
      })
      setTimeout(() => {
        if (!this.stopped && !this.connected && s === this.session && !s.closed)
          void this.serial(() => this.onConnected(s))
      }, 2000)
    }
  }

  private async declareTopology(s: AMQPSession): Promise<void> {
    // Passive unless asked: the exchanges belong to the broker set-up, not to a service.
    const passive = !this.o.declareExchanges
    await s.exchange(this.exchange, 'topic', { durable: true, passive })
    await s.exchange(this.dlx, 'direct', { durable: true, passive })
    const specs = new Map<string, { service: string; name: string; topics: readonly string[] }>()
    for (const q of [...this.topology, ...this.subs]) specs.set(queueName(this.prefix, q), q)
    for (const [name, q] of specs) {
      const args = queueArguments(name, this.dlx, this.o.deliveryLimit)
      await this.declareQueue(s, name, args)
      await this.declareQueue(s, `${name}.dead`, DEAD_QUEUE_ARGUMENTS)
      const handle = await s.queue(name, { durable: true, arguments: args })
      for (const t of q.topics) await handle.bind(this.exchange, t)
      await (await s.queue(`${name}.dead`, { durable: true, arguments: DEAD_QUEUE_ARGUMENTS })).bind(this.dlx, name)
    }
  }

  // session.queue() declares only the first time (it caches handles); "redeclared on every
  // reconnect" needs a real queue.declare each time, done on the session's ops channel.
  private async declareQueue(s: AMQPSession, name: string, args: Record<string, unknown>): Promise<void> {
    const ops = s as unknown as Partial<Ops>
    if (typeof ops.withOpsChannel === 'function') {
      await ops.withOpsChannel((ch) =>
        ch.queueDeclare(name, { durable: true, autoDelete: false, exclusive: false }, args),
      )
    }
  }

  async publish(events: readonly OutgoingEvent[]): Promise<void> {
    const s = this.session
    if (!s || !this.connected || s.closed) throw new Error('broker not connected')
    const x = await s.topicExchange(this.exchange, { durable: true, passive: true })
    try {
      await Promise.all(
        events.map(({ envelope: env, body, signature, traceparent }) =>
          // The signed bytes, as they are: what the consumer verifies is exactly what was signed.
          x.publish(body, {
            routingKey: env.type,
            confirm: true,
            mandatory: true,
            deliveryMode: 2,
            contentType: 'application/json' as never,
            messageId: env.id,
            type: env.type,
            appId: env.source,
            userId: this.userId,
            timestamp: new Date(env.occurred_at),
            ...(env.correlation_id ? { correlationId: env.correlation_id } : {}),
            headers: {
              [SIGNATURE_HEADER]: signature.value,
              [KEY_ID_HEADER]: signature.keyId,
              ...(traceparent ? { traceparent } : {}),
            },
            // Without a codec registry the typings allow no content type; the header is still sent.
          }),
        ),
      )
    } catch (e) {
      // A refusal (a routing key this user may not publish, a user_id that is not its own) is a
      // configuration error, not an outage: say so loudly. The caller (the relay) keeps the rows.
      if (refused(e)) {
        this.o.log.error('broker refused the publish', {
          user: this.userId,
          error: (e as Error).message,
          events: events.map(({ envelope: env }) => ({ event_id: env.id, type: env.type })).slice(0, 20),
        })
      }
      throw e
    }
  }

  /**
   * Dead-letters a message with the reason in a header. The broker's own dead-lettering (a
   * reject) cannot add one, so a copy goes to the dead-letter exchange: published by this
   * consumer (the broker allows no other user_id), so the original publisher travels in
   * `x-original-user-id` next to the body, untouched. Falls back to the broker's dead-lettering
   * (which keeps the original properties, without the reason) if the copy cannot be sent.
   */
  private async deadLetter(msg: AMQPMessage, queue: string, reason: string): Promise<void> {
    const s = this.session
    try {
      if (!s || s.closed) throw new Error('broker not connected')
      // Too big to copy (the broker would refuse it anyway): the broker dead-letters it as it is.
      if (msg.bodySize > MAX_EVENT_BYTES) throw new Error(`${reason}; not copied`)
      const dlx = await s.directExchange(this.dlx, { durable: true, passive: true })
      const p = msg.properties
      await dlx.publish(msg.body ?? new Uint8Array(), {
        routingKey: queue,
        confirm: true,
        deliveryMode: 2,
        ...(p.contentType ? { contentType: p.contentType as never } : {}),
        ...(p.messageId ? { messageId: p.messageId } : {}),
        ...(p.type ? { type: p.type } : {}),
        ...(p.appId ? { appId: p.appId } : {}),
        ...(p.correlationId ? { correlationId: p.correlationId } : {}),
        ...(p.timestamp ? { timestamp: p.timestamp } : {}),
        userId: this.userId,
        headers: {
          ...(p.headers ?? {}),
          'x-dead-reason': reason.slice(0, 1000),
          'x-original-user-id': p.userId ?? '',
          'x-original-routing-key': msg.routingKey,
          'x-dead-queue': queue,
        },
      })
      await msg.ack()
    } catch (e) {
      this.o.log.warn('dead letter with its reason could not be published; dead-lettering it as it is', {
        queue,
        error: (e as Error).message,
      })
      await msg.nack(false)
    }
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
        // The raw bytes: consumeOne checks their size, then their signature, before decoding anything.
        const body = msg.body ?? new Uint8Array()
        const key = msg.properties.messageId ?? `${name}:${Bun.hash(body)}`
        const attempt = (this.attempts.get(key) ?? 0) + 1
        this.attempts.set(key, attempt)
        const tp = msg.properties.headers?.traceparent
        const delivery = {
          queue: name,
          routingKey: msg.routingKey,
          traceparent: typeof tp === 'string' ? tp : undefined,
          metrics: sub.metrics,
          publisher: msg.properties.userId,
          signature: signatureOf(msg.properties.headers),
          messageId: msg.properties.messageId,
        }
        const opts = {
          maxAttempts: max,
          topics: sub.topics,
          publishers: this.o.publishers ?? BROKER_USERS,
          keys: this.o.keys,
        }
        const once = () => consumeMessage(body, sub.handler, attempt, opts, this.o.log, delivery)
        let verdict = await once()
        // The database is unreachable: no fault of the message. Retry here, holding the message,
        // so neither its attempts nor the broker's redelivery limit are spent, until it is back.
        for (let wait = 1; verdict.outcome === 'unavailable' && this.consuming; wait++) {
          await Bun.sleep(retryDelay(wait))
          verdict = await once()
        }
        if (verdict.outcome === 'unavailable') {
          await msg.nack(true) // stopping: hand it back as it came
        } else if (verdict.outcome === 'retry') {
          await Bun.sleep(retryDelay(attempt))
          await msg.nack(true) // the same message, requeued: its publisher (user_id) is unchanged
        } else {
          this.attempts.delete(key)
          if (verdict.outcome === 'ack') await msg.ack()
          else await this.deadLetter(msg, name, verdict.reason ?? 'dead') // to <queue>.dead, with the reason
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

  /**
   * The fill of each dead-letter queue of `service`: the message count a passive declare answers
   * (what the service's broker user can read; the management API is not needed).
   */
  async deadLetters(service: string): Promise<Record<string, number>> {
    const s = this.session as (AMQPSession & Partial<Ops>) | undefined
    const out: Record<string, number> = {}
    if (!s || s.closed || !this.connected || typeof s.withOpsChannel !== 'function') return out
    for (const q of this.topology.filter((x) => x.service === service)) {
      const dead = `${queueName(this.prefix, q)}.dead`
      try {
        const ok = await s.withOpsChannel((ch) => ch.queueDeclare(dead, { passive: true }, {}))
        out[dead] = (ok as { messageCount: number }).messageCount
      } catch {
        // not there (yet), or the channel is gone: left out of this scrape
      }
    }
    return out
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

/** The signature headers of a message, as they came (consumeOne checks them). */
function signatureOf(headers: Record<string, unknown> | undefined): { keyId?: string; value?: string } {
  const keyId = headers?.[KEY_ID_HEADER]
  const value = headers?.[SIGNATURE_HEADER]
  return {
    ...(typeof keyId === 'string' ? { keyId } : {}),
    ...(typeof value === 'string' ? { value } : {}),
  }
}

/** The user of an AMQP URL, as the broker sees it (amqp-client's default is guest). */
export function brokerUser(url: string): string {
  return decodeURIComponent(new URL(url).username) || 'guest'
}

/** A publish the broker refused (403 ACCESS_REFUSED, 406 PRECONDITION_FAILED on a foreign user_id). */
export function refused(e: unknown): boolean {
  return /ACCESS_REFUSED|PRECONDITION_FAILED|\b40[36]\b/.test(String((e as Error)?.message ?? e))
}
