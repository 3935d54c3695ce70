import { AsyncLocalStorage } from 'node:async_hooks'

/**
 * A batch of deliveries whose effects share one database transaction: what the prefetch window
 * holds is taken at once (see AmqpBus), each message a member. A member's transaction joins the
 * group's (postgres/transact.ts: one savepoint per member, the inbox claim inside it), and waits
 * for the group's commit before it returns, so its message is acked only once its effect is
 * committed. A member that fails rolls back its own savepoint only: the others commit, and it is
 * retried alone (a redelivered message is never grouped). The commit happens once every member
 * has settled: parked waiting for it, or finished without joining (refused, dead-lettered, failed).
 *
 * This module knows nothing of databases: `shared` is whatever the first store to join keeps
 * there (its open transaction); a store that finds another's there goes on its own.
 */
export class DeliveryGroup {
  private settled = 0
  private waiters: (() => void)[] = []
  /** The first joining store's shared transaction (opaque here). */
  shared: unknown
  /** After the commit (or its failure): later transactions of the members run on their own. */
  closed = false

  constructor(readonly size: number) {}

  /** Runs `fn` as one member; the member settles when `fn` ends, if it has not parked before. */
  async member<T>(fn: () => Promise<T>): Promise<T> {
    const m: GroupMember = { group: this, settled: false }
    try {
      return await scope.run(m, fn)
    } finally {
      this.settle(m)
    }
  }

  /** A member that will not run (its message handed back unread): the others need not wait for it. */
  skip(): void {
    this.settle({ group: this, settled: false })
  }

  /** A member will not touch the group's transaction again (it parked, or finished). */
  settle(m: GroupMember): void {
    if (m.settled) return
    m.settled = true
    this.settled++
    if (this.settled >= this.size) for (const w of this.waiters.splice(0)) w()
  }

  /** Resolves once every member has settled. */
  allSettled(): Promise<void> {
    if (this.settled >= this.size) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push(resolve))
  }
}

export interface GroupMember {
  readonly group: DeliveryGroup
  settled: boolean
}

const scope = new AsyncLocalStorage<GroupMember>()

/** The group member this code runs for, when its transaction may still join the group's. */
export function groupMember(): GroupMember | undefined {
  const m = scope.getStore()
  return m && !m.settled && !m.group.closed ? m : undefined
}
