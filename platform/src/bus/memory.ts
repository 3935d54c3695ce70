import { type Logger, silentLogger } from '../log.ts'
import type { Bus, EventSignature, OutgoingEvent, Subscription } from './bus.ts'
import { consumeMessage, DEFAULT_MAX_ATTEMPTS, retryDelay } from './consume.ts'
import type { EventKeyring } from './signing.ts'
import { DEAD_LETTER_LIMITS } from './topology.ts'

interface Queue {
  readonly name: string
  readonly sub: Subscription
  readonly pending: {
    body: Uint8Array
    routingKey: string
    traceparent?: string | undefined
    signature?: EventSignature | undefined
    attempt: number
    waits?: number
  }[]
  running: boolean
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/**
 * The in-memory bus of the embedded mode (all services in one process) and of unit tests. It
 * behaves like the broker where it matters: messages travel as JSON text, each queue is
 * consumed in order, failures are retried with backoff then dead-lettered (kept in `dead`, the
 * reason in `deadReasons`, the latest DEAD_LETTER_LIMITS.maxLength a queue, as the broker's policy
 * bounds `<queue>.dead`). Signatures travel beside the body and are verified as on RabbitMQ
 * (consumeOne); there is no broker user here: besides the signature, an event is applied only
 * when its `source` owns its type (the ownership table), anything else is dead-lettered.
 */
export class MemoryBus implements Bus {
  private readonly queues = new Map<string, Queue>()
  private consuming = true
  private readonly idle = new Set<() => void>()
  /** Dead-lettered message bodies by queue name. */
  readonly dead = new Map<string, string[]>()
  /** Why each of them was dead-lettered, in the same order. */
  readonly deadReasons = new Map<string, string[]>()

  /** `keys`: the public keys of every service (EVENT_PUBLIC_KEYS), as each consumer verifies with them. */
  constructor(
    private readonly keys: EventKeyring,
    private readonly log: Logger = silentLogger,
    private readonly maxAttempts = DEFAULT_MAX_ATTEMPTS,
    private readonly deadLimit: number = DEAD_LETTER_LIMITS.maxLength,
  ) {}

  async publish(events: readonly OutgoingEvent[]): Promise<void> {
    for (const e of events) {
      this.publishRaw(e.envelope.type, e.body, { traceparent: e.traceparent ?? undefined, signature: e.signature })
    }
  }

  /** Puts any bytes or text on the bus under a routing key, signed or not (tests use it for poison messages). */
  publishRaw(
    routingKey: string,
    body: string | Uint8Array,
    o: { traceparent?: string | undefined; signature?: EventSignature | undefined } = {},
  ): void {
    const bytes = typeof body === 'string' ? encoder.encode(body) : body
    for (const q of this.queues.values()) {
      if (!q.sub.topics.includes(routingKey as never)) continue
      q.pending.push({ body: bytes, routingKey, traceparent: o.traceparent, signature: o.signature, attempt: 1 })
      this.run(q)
    }
  }

  async subscribe(sub: Subscription): Promise<void> {
    const name = `${sub.service}.${sub.name}`
    if (this.queues.has(name)) throw new Error(`queue ${name} already has a consumer`)
    this.queues.set(name, { name, sub, pending: [], running: false })
  }

  private run(q: Queue): void {
    if (q.running || !this.consuming) return
    q.running = true
    queueMicrotask(async () => {
      while (q.pending.length && this.consuming) {
        const msg = q.pending.shift()!
        const delivery = {
          queue: q.name,
          routingKey: msg.routingKey,
          traceparent: msg.traceparent,
          metrics: q.sub.metrics,
          signature: msg.signature,
        }
        const { outcome, reason } = await consumeMessage(
          msg.body,
          q.sub.handler,
          msg.attempt,
          { maxAttempts: this.maxAttempts, topics: q.sub.topics, keys: this.keys },
          this.log,
          delivery,
        )
        if (outcome === 'retry') {
          await Bun.sleep(retryDelay(msg.attempt))
          q.pending.unshift({ ...msg, attempt: msg.attempt + 1 })
        } else if (outcome === 'unavailable') {
          // The database is unreachable: retry without spending an attempt (see AmqpBus).
          const waits = (msg.waits ?? 0) + 1
          await Bun.sleep(retryDelay(waits))
          q.pending.unshift({ ...msg, waits })
        } else if (outcome === 'dead') {
          // Bounded like `<queue>.dead` on the broker (overflow drop-head): the oldest goes.
          const body = decoder.decode(msg.body)
          this.dead.set(q.name, [...(this.dead.get(q.name) ?? []), body].slice(-this.deadLimit))
          this.deadReasons.set(q.name, [...(this.deadReasons.get(q.name) ?? []), reason ?? ''].slice(-this.deadLimit))
        }
      }
      q.running = false
      if ([...this.queues.values()].every((x) => !x.running)) for (const f of this.idle) f()
    })
  }

  /** Resolves when every queue is drained (tests). */
  async settled(): Promise<void> {
    while ([...this.queues.values()].some((q) => q.running || (q.pending.length && this.consuming))) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.idle.delete(done)
          resolve()
        }
        this.idle.add(done)
        setTimeout(done, 50)
      })
    }
  }

  async stopConsuming(): Promise<void> {
    this.consuming = false
    while ([...this.queues.values()].some((q) => q.running)) await Bun.sleep(5)
  }

  async ping(): Promise<void> {}

  /** In one process a subscribed queue is always attached, until stopConsuming. */
  attachment(): Record<string, boolean> {
    return Object.fromEntries([...this.queues.keys()].map((q) => [q, this.consuming]))
  }

  /** The dead letters kept for each queue of `service`, as `<queue>.dead` (the gauge's names). */
  async deadLetters(service: string): Promise<Record<string, number>> {
    const out: Record<string, number> = {}
    for (const q of this.queues.values()) {
      if (q.sub.service === service) out[`${q.name}.dead`] = this.dead.get(q.name)?.length ?? 0
    }
    return out
  }

  async close(): Promise<void> {
    await this.stopConsuming()
  }
}
