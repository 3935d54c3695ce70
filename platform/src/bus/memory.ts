import type { Envelope } from '@shop/kernel/events'
import { type Logger, silentLogger } from '../log.ts'
import type { Bus, Subscription } from './bus.ts'
import { consumeMessage, DEFAULT_MAX_ATTEMPTS, retryDelay } from './consume.ts'

interface Queue {
  readonly name: string
  readonly sub: Subscription
  readonly pending: {
    body: string
    routingKey: string
    traceparent?: string | undefined
    attempt: number
    waits?: number
  }[]
  running: boolean
}

/**
 * The in-memory bus of the embedded mode (all services in one process) and of unit tests. It
 * behaves like the broker where it matters: messages travel as JSON text, each queue is
 * consumed in order, failures are retried with backoff then dead-lettered (kept in `dead`, the
 * reason in `deadReasons`). There is no broker user here: an event is applied only when its
 * `source` owns its type (the kernel's ownership table), anything else is dead-lettered.
 */
export class MemoryBus implements Bus {
  private readonly queues = new Map<string, Queue>()
  private consuming = true
  private readonly idle = new Set<() => void>()
  /** Dead-lettered message bodies by queue name. */
  readonly dead = new Map<string, string[]>()
  /** Why each of them was dead-lettered, in the same order. */
  readonly deadReasons = new Map<string, string[]>()

  constructor(
    private readonly log: Logger = silentLogger,
    private readonly maxAttempts = DEFAULT_MAX_ATTEMPTS,
  ) {}

  async publish(envelopes: readonly Envelope[], traceparents?: readonly (string | null)[]): Promise<void> {
    envelopes.forEach((env, i) => {
      this.publishRaw(env.type, JSON.stringify(env), traceparents?.[i] ?? undefined)
    })
  }

  /** Puts any text on the bus under a routing key (tests use it for poison messages). */
  publishRaw(routingKey: string, body: string, traceparent?: string): void {
    for (const q of this.queues.values()) {
      if (!q.sub.topics.includes(routingKey as never)) continue
      q.pending.push({ body, routingKey, traceparent, attempt: 1 })
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
        }
        const { outcome, reason } = await consumeMessage(
          msg.body,
          q.sub.handler,
          msg.attempt,
          { maxAttempts: this.maxAttempts, topics: q.sub.topics },
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
          this.dead.set(q.name, [...(this.dead.get(q.name) ?? []), msg.body])
          this.deadReasons.set(q.name, [...(this.deadReasons.get(q.name) ?? []), reason ?? ''])
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

  async close(): Promise<void> {
    await this.stopConsuming()
  }
}
