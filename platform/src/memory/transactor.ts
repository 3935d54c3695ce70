import { type DomainEvent, type Envelope, makeEnvelope } from '@shop/kernel/events'
import type { Result } from '@shop/kernel/result'

/** Something whose state can be saved before a transaction and put back after a rollback. */
export interface Snapshotting {
  snapshot(): unknown
  restore(saved: unknown): void
}

/** A Map that snapshots by copy: a table of a memory adapter. */
export class Table<K, V> extends Map<K, V> implements Snapshotting {
  snapshot(): unknown {
    return new Map(this)
  }
  restore(saved: unknown): void {
    this.clear()
    for (const [k, v] of saved as Map<K, V>) this.set(k, v)
  }
}

/** A counter (sequence) that rolls back with its transaction. */
export class Sequence implements Snapshotting {
  constructor(private value = 0) {}
  next(): number {
    return ++this.value
  }
  snapshot(): unknown {
    return this.value
  }
  restore(saved: unknown): void {
    this.value = saved as number
  }
}

/**
 * Transactions for memory adapters: one at a time, state saved before and restored on an error
 * result or a throw, events handed to `onCommit` only after success.
 */
export class MemoryTransactor {
  private tail: Promise<unknown> = Promise.resolve()
  /** Every envelope committed, by id: what `again` hands over once more (tests only keep few). */
  private readonly committed = new Map<string, Envelope>()
  constructor(
    private readonly state: readonly Snapshotting[],
    private readonly onCommit: (events: Envelope[]) => void,
    private readonly source: Envelope['source'],
  ) {}

  run<T, E, Tx>(
    makeTx: (events: {
      add(e: DomainEvent, correlationId: string | null): Promise<string>
      again(eventId: string): Promise<boolean>
    }) => Tx,
    work: (tx: Tx) => Promise<Result<T, E>>,
  ): Promise<Result<T, E>> {
    const job = async () => {
      const saved = this.state.map((s) => s.snapshot())
      const staged: Envelope[] = []
      const events = {
        add: async (e: DomainEvent, correlationId: string | null) => {
          const env = makeEnvelope(this.source, e, correlationId, crypto.randomUUID(), new Date())
          staged.push(env)
          return env.id
        },
        again: async (eventId: string) => {
          const env = this.committed.get(eventId)
          if (env) staged.push(env)
          return env !== undefined
        },
      }
      try {
        const result = await work(makeTx(events))
        if (!result.ok)
          this.state.forEach((s, i) => {
            s.restore(saved[i])
          })
        else if (staged.length) {
          for (const env of staged) this.committed.set(env.id, env)
          this.onCommit(staged)
        }
        return result
      } catch (e) {
        this.state.forEach((s, i) => {
          s.restore(saved[i])
        })
        throw e
      }
    }
    const run = this.tail.then(job, job)
    this.tail = run.catch(() => {})
    return run
  }
}

/** The memory inbox: a table of processed event ids that rolls back with its transaction. */
export class MemoryInbox {
  readonly seen = new Table<string, string>()
  async claim(eventId: string, type: string): Promise<boolean> {
    if (this.seen.has(eventId)) return false
    this.seen.set(eventId, type)
    return true
  }
}
