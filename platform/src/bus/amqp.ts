import { type AMQPChannel, type AMQPMessage, AMQPSession } from '@cloudamqp/amqp-client'
import type { Logger } from '../log.ts'
import type { Bus, OutgoingEvent, Subscription } from './bus.ts'
import { DeliveryGroup } from './group.ts'
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
 *
 * Consumers are this adapter's own, not the session's: each on a channel of its own, attached on
 * every (re)connect and watched. The session's own recovery re-consumed once after a reconnect and
 * never again: a consumer the broker cancelled (basic.cancel, as RabbitMQ sends when the queue
 * goes away) or whose channel the broker closed (a channel error) stayed gone while the connection
 * looked healthy, so nothing re-attached it and nothing reported it. Now a watchdog re-attaches
 * any consumer that is not attached while the connection is up, and `attachment()` says which
 * are (readiness, metrics).
 */
export class AmqpBus implements Bus {
  private session: AMQPSession | undefined
  private connected = false
  private stopped = false
  private consuming = true
  private readonly consumers = new Map<string, ConsumerState>()
  private watchdog: ReturnType<typeof setInterval> | undefined
  /** Connection attempts begun by connectLoop (a late session of an abandoned one is ignored). */
  private attempts_ = 0
  /** When the connection attempt in progress began (0: none). */
  private handshakeStarted = 0
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
    // Unref'd: the watchdog alone never keeps a process alive.
    this.watchdog = setInterval(() => this.watch(), WATCH_MS)
    this.watchdog.unref?.()
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
      const attempt = ++this.attempts_
      const pending = AMQPSession.connect(this.o.url, {
        name: this.o.name,
        logger: null,
        // At most a second between attempts: consumers must be back within seconds of the broker.
        reconnectInterval: 250,
        maxReconnectInterval: 1000,
        beforeConnect: () => {
          this.handshakeStarted = Date.now()
        },
        // A late session of an attempt given up (see below) is not this bus's.
        onconnect: (s) => {
          this.handshakeStarted = 0
          if (attempt === this.attempts_) void this.serial(() => this.onConnected(s as AMQPSession))
        },
        ondisconnect: (e) => {
          this.connected = false
          if (!this.stopped) this.o.log.warn('broker connection lost', { error: e?.message })
        },
        onreturn: (msg) =>
          this.o.log.error('event unroutable (no queue bound)', {
            routing_key: msg.routingKey,
            event_id: msg.properties.messageId,
          }),
      })
      try {
        // The client waits 60 s for a broker that took the connection but does not answer it.
        this.session = await withTimeout(pending, HANDSHAKE_TIMEOUT_MS, 'the broker handshake')
        return
      } catch (e) {
        this.handshakeStarted = 0
        void pending.then(
          (late) => late.stop().catch(() => {}),
          () => {},
        )
        this.o.log.warn('broker unreachable; retrying', { error: (e as Error).message, retry_in_ms: delay })
        await Bun.sleep(delay)
        delay = Math.min(delay * 2, 1000)
      }
    }
  }

  /**
   * A reconnect the broker took but does not answer (a broker starting, or stalled) would wait for
   * the client's 60 s socket timeout: after HANDSHAKE_TIMEOUT_MS its socket is closed, so the
   * session tries again at once. Those 60 s were the stall of consumers after a broker restart on
   * a busy machine.
   */
  private abandonSlowHandshake(): void {
    if (this.connected || !this.handshakeStarted || Date.now() - this.handshakeStarted < HANDSHAKE_TIMEOUT_MS) return
    const client = (this.session as unknown as { client?: SessionClient } | undefined)?.client
    if (!client?.closed) return // the connection is open: the consumers are being attached
    this.handshakeStarted = 0
    this.o.log.warn('broker took the connection but did not answer it; trying again', {
      waited_ms: HANDSHAKE_TIMEOUT_MS,
    })
    client.socket?.destroy(new Error(`no answer from the broker within ${HANDSHAKE_TIMEOUT_MS} ms`))
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn)
    this.lock = run.catch(() => {})
    return run
  }

  private async onConnected(s: AMQPSession): Promise<void> {
    try {
      await this.declareTopology(s)
      this.connected = true
      this.o.log.info('broker connected', { exchange: this.exchange, user: this.userId })
      // Every consumer on this connection: those of the one before died with it.
      for (const c of this.consumers.values()) await this.attach(s, c, 'connected')
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

  /** Whether a consumer is attached: its channel open on the live connection, its tag known to it. */
  private isAttached(c: ConsumerState): boolean {
    const s = this.session
    return (
      this.connected &&
      !!s &&
      !s.closed &&
      !!c.channel &&
      !c.channel.closed &&
      c.tag !== undefined &&
      c.channel.consumers.has(c.tag)
    )
  }

  /**
   * Runs every WATCH_MS: a consumer that should be attached and is not (cancelled by the broker,
   * its channel closed, an attach that failed) is attached again. Not while stopping, nor while
   * the connection is down (the reconnect attaches them all).
   */
  private watch(): void {
    if (this.stopped) return
    this.abandonSlowHandshake()
    if (!this.consuming || !this.connected) return
    const s = this.session
    if (!s || s.closed) return
    for (const c of this.consumers.values()) {
      if (c.attaching || this.isAttached(c)) continue
      c.attaching = true
      void this.serial(async () => {
        try {
          if (!this.isAttached(c) && this.consuming && s === this.session && !s.closed) {
            this.o.log.warn('consumer not attached; attaching it again', {
              queue: c.queue,
              error: c.lost ?? 'not attached',
            })
            // The queue may be what went away: declare it (and its bindings) again first.
            await this.declareTopology(s, [c.sub])
            await this.attach(s, c, 'watchdog')
          }
        } catch (e) {
          this.o.log.warn('consumer attach failed; will retry', { queue: c.queue, error: (e as Error).message })
        } finally {
          c.attaching = false
        }
      })
    }
  }

  /** Opens a channel of its own for the consumer and consumes; a failure leaves it to the watchdog. */
  private async attach(s: AMQPSession, c: ConsumerState, why: string): Promise<void> {
    if (!this.consuming) return
    const old = c.channel
    c.channel = undefined
    c.tag = undefined
    if (old && !old.closed) await old.close().catch(() => {})
    let ch: AMQPChannel | undefined
    try {
      // A channel of the session's connection that the session does not manage (its queue handles
      // would recover the consumer themselves, once, and then forget it).
      const open = (s as unknown as { openChannel(): Promise<AMQPChannel> }).openChannel()
      const channel = await withTimeout(open, ATTACH_TIMEOUT_MS, 'channel.open')
      ch = channel
      await withTimeout(channel.basicQos(this.o.prefetch), ATTACH_TIMEOUT_MS, 'basic.qos')
      const consumer = await withTimeout(
        channel.basicConsume(c.queue, { noAck: false }, (msg) => this.onMessage(c, msg)),
        ATTACH_TIMEOUT_MS,
        'basic.consume',
      )
      if (!this.consuming) {
        // Stopped while this attached: stopConsuming found no channel to close. Left open, it would
        // take deliveries only to hand them back, each return spending one of the queue's attempts.
        await channel.close().catch(() => {})
        this.o.log.debug('consumer not attached: stopped while attaching', { queue: c.queue, why })
        return
      }
      c.channel = channel
      c.tag = consumer.tag
      c.lost = undefined
      // The broker cancelling the consumer or closing its channel rejects this: note why, and the
      // watchdog attaches it again. A close of our own (stopConsuming, a new connection) resolves it.
      consumer.wait().catch((e: Error) => {
        if (c.channel !== channel) return
        c.lost = e.message
        // The whole connection went: the reconnect attaches every consumer, nothing to say here.
        if (!this.session || this.session.closed) return
        this.o.log.warn('consumer lost: the broker cancelled it or closed its channel', {
          queue: c.queue,
          error: e.message,
        })
      })
      this.o.log.debug('consumer attached', { queue: c.queue, why })
    } catch (e) {
      c.lost = `attach failed: ${(e as Error).message}`
      if (ch && !ch.closed) await ch.close().catch(() => {})
      this.o.log.warn('consumer attach failed; will retry', { queue: c.queue, error: (e as Error).message })
    }
  }

  private async declareTopology(s: AMQPSession, only?: readonly Subscription[]): Promise<void> {
    // Passive unless asked: the exchanges belong to the broker set-up, not to a service.
    const passive = !this.o.declareExchanges
    await s.exchange(this.exchange, 'topic', { durable: true, passive })
    await s.exchange(this.dlx, 'direct', { durable: true, passive })
    const specs = new Map<string, { service: string; name: string; topics: readonly string[] }>()
    const subs = [...this.consumers.values()].map((c) => c.sub)
    for (const q of only ?? [...this.topology, ...subs]) specs.set(queueName(this.prefix, q), q)
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
    const c: ConsumerState = {
      sub,
      queue: queueName(this.prefix, sub),
      attaching: false,
      pending: [],
      lanes: 0,
      scheduled: false,
    }
    this.consumers.set(c.queue, c)
    await this.serial(async () => {
      const s = this.session
      if (!s || !this.connected) return // onConnected attaches it
      // Subscribed while the connection came up: onConnected has attached it already. Attaching it
      // again would close that channel under the messages it is handling (each then delivered twice).
      if (this.isAttached(c)) return
      await this.declareTopology(s, [sub])
      await this.attach(s, c, 'subscribed')
    })
  }

  /**
   * Each consumer's queue and whether it is attached now (readiness, the shop_consumer_attached
   * gauge). After stopConsuming none is, on purpose.
   */
  attachment(): Record<string, boolean> {
    return Object.fromEntries([...this.consumers.values()].map((c) => [c.queue, this.isAttached(c)]))
  }

  private onMessage(c: ConsumerState, msg: AMQPMessage): Promise<void> {
    if (!c.sub.grouped) return this.handle(c, msg)
    c.pending.push(msg)
    if (!c.scheduled) {
      c.scheduled = true
      // Whatever the socket has delivered by now joins the same group.
      setImmediate(() => {
        c.scheduled = false
        this.startGroups(c)
      })
    }
    return Promise.resolve()
  }

  /**
   * A grouped queue's deliveries are handled in groups (bus/group.ts): what has arrived is taken at
   * once, at most GROUP_LANES groups at a time per queue, each of at most prefetch / GROUP_LANES
   * messages, so a group's transactions share a commit and a row its members all touch (a product
   * in a flash sale) is locked once per group; the lanes keep the database busy while a group
   * waits on a round trip. A redelivered message (a failed first attempt) is handled on its own.
   */
  private startGroups(c: ConsumerState): void {
    const size = Math.max(1, Math.ceil(this.o.prefetch / GROUP_LANES))
    while (c.pending.length && c.lanes < GROUP_LANES) {
      const msgs = c.pending.splice(0, size)
      c.lanes++
      const fresh = msgs.filter((m) => !this.attempts.has(keyOf(c.queue, m)))
      const group = fresh.length > 1 ? new DeliveryGroup(fresh.length) : undefined
      void Promise.all(msgs.map((m) => this.handle(c, m, group && fresh.includes(m) ? group : undefined))).finally(
        () => {
          c.lanes--
          this.startGroups(c)
        },
      )
    }
  }

  private async handle(c: ConsumerState, msg: AMQPMessage, group?: DeliveryGroup): Promise<void> {
    const name = c.queue
    const sub = c.sub
    if (!this.consuming) {
      group?.skip()
      await msg.nack(true).catch(() => {})
      return
    }
    const max = this.o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS
    this.inFlight++
    let member = false
    try {
      // The raw bytes: consumeOne checks their size, then their signature, before decoding anything.
      const body = msg.body ?? new Uint8Array()
      const key = keyOf(name, msg)
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
      // A member of a group: its transaction joins the group's, and the first verdict settles it.
      member = true
      let verdict = group ? await group.member(once) : await once()
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
      if (!member) group?.skip()
      this.inFlight--
    }
  }

  /**
   * Stops taking deliveries and settles what is held: each consumer is cancelled first (the broker
   * sends no more), the handlers running finish and ack (up to 5 s), then the channels close, which
   * hands anything still unacknowledged back to the queue for another instance.
   */
  async stopConsuming(): Promise<void> {
    this.consuming = false
    const all = [...this.consumers.values()]
    await Promise.all(
      all.map(async (c) => {
        if (c.channel && !c.channel.closed && c.tag !== undefined)
          await withTimeout(c.channel.basicCancel(c.tag), 2000, 'basic.cancel').catch(() => {})
      }),
    )
    const deadline = Date.now() + 5000
    const busy = () => this.inFlight > 0 || all.some((c) => c.pending.length > 0 || c.lanes > 0)
    while (busy() && Date.now() < deadline) await Bun.sleep(5)
    await Promise.all(
      all.map(async (c) => {
        const ch = c.channel
        c.channel = undefined
        c.tag = undefined
        if (ch && !ch.closed) await ch.close().catch(() => {})
      }),
    )
  }

  /**
   * The fill of each dead-letter queue of `service`: the message count a passive declare answers
   * (what the service's broker user can read; the management API is not needed).
   */
  async deadLetters(service: string): Promise<Record<string, number>> {
    const s = this.session
    const out: Record<string, number> = {}
    if (!s || s.closed || !this.connected) return out
    // On channels of its own: a passive declare of a queue not there closes its channel (404), and the
    // session's ops channel is the one the dead-letter copies and the topology go through.
    const open = () => (s as unknown as { openChannel(): Promise<AMQPChannel> }).openChannel()
    let ch: AMQPChannel | undefined
    try {
      for (const q of this.topology.filter((x) => x.service === service)) {
        const dead = `${queueName(this.prefix, q)}.dead`
        try {
          if (!ch || ch.closed) ch = await withTimeout(open(), ATTACH_TIMEOUT_MS, 'channel.open')
          const ok = await withTimeout(ch.queueDeclare(dead, { passive: true }, {}), ATTACH_TIMEOUT_MS, 'declare')
          out[dead] = ok.messageCount
        } catch {
          // not there (yet), or the connection is gone: left out of this scrape
        }
      }
    } finally {
      if (ch && !ch.closed) await ch.close().catch(() => {})
    }
    return out
  }

  async ping(): Promise<void> {
    if (!this.connected || !this.session || this.session.closed) throw new Error('broker not connected')
  }

  async close(): Promise<void> {
    if (this.consuming) await this.stopConsuming()
    this.stopped = true
    clearInterval(this.watchdog)
    await this.connecting.catch(() => {})
    await this.session?.stop().catch(() => {})
  }
}

/**
 * Groups handled at once per grouped queue. Members of a group run one after the other on its
 * connection, so one lane would leave the database idle while it waits on each round trip.
 */
const GROUP_LANES = 3

/** How often the watchdog looks at the consumers and the connection attempt. */
const WATCH_MS = 500
/** A broker that took a connection and did not complete the AMQP handshake in this time is tried again. */
const HANDSHAKE_TIMEOUT_MS = 3000

/** What the watchdog reaches of the session's connection (not in the library's typings). */
interface SessionClient {
  readonly closed: boolean
  readonly socket?: { destroy(e?: Error): void }
}
/** A step of attaching a consumer that takes longer has failed (the library's RPCs have no timeout). */
const ATTACH_TIMEOUT_MS = 5000

interface ConsumerState {
  readonly sub: Subscription
  readonly queue: string
  /** Its channel and consumer tag while attached (or being attached). */
  channel?: AMQPChannel | undefined
  tag?: string | undefined
  attaching: boolean
  /** Why it was lost, for the log line of the watchdog that attaches it again. */
  lost?: string | undefined
  /** A grouped queue's deliveries waiting for a group, the groups being handled, a start scheduled. */
  readonly pending: AMQPMessage[]
  lanes: number
  scheduled: boolean
}

/** A message's key for its attempt count: its id, else a hash of its body. */
function keyOf(queue: string, msg: AMQPMessage): string {
  return msg.properties.messageId ?? `${queue}:${Bun.hash(msg.body ?? new Uint8Array())}`
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} not answered within ${ms} ms`)), ms)
    }),
  ])
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
