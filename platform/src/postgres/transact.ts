import { type DomainEvent, type Envelope, makeEnvelope } from '@shop/kernel/events'
import { SpanKind, inSpan, traceparentOf } from '../observability/tracing.ts'
import type { Result } from '@shop/kernel/result'
import { type GroupMember, groupMember } from '../bus/group.ts'
import type { Sql, TxSql } from './connect.ts'
import { statementTimeoutOf } from '../statement-timeout.ts'

class Rollback extends Error {
  constructor(readonly result: Result<unknown, unknown>) {
    super('rollback')
  }
}

export interface TxEvents {
  add(event: DomainEvent, correlationId: string | null): Promise<string>
  again(eventId: string): Promise<boolean>
}

/** Writes events into the outbox table, inside the caller's transaction, with the active trace context. */
function outboxWriter(tx: TxSql, source: Envelope['source'], added: { count: number }): TxEvents {
  return {
    async add(event, correlationId) {
      const env = makeEnvelope(source, event, correlationId, crypto.randomUUID(), new Date())
      await tx`insert into outbox (id, type, envelope, traceparent) values (${env.id}, ${env.type},
        ${tx.json(env as never)}, ${traceparentOf()})`
      added.count++
      return env.id
    },
    // The row is kept as it was written (envelope, trace context): unsent again, the relay publishes it once more.
    async again(eventId) {
      const rows = await tx`update outbox set sent_at = null where id = ${eventId} returning seq`
      if (rows.length) added.count++
      return rows.length > 0
    },
  }
}

const TX_SPAN = {
  kind: SpanKind.CLIENT,
  attributes: { 'db.system.name': 'postgresql', 'db.operation.name': 'transaction' },
}

// Deadlock and serialization failure: the transaction did nothing; running it again is safe.
const RETRYABLE = new Set(['40P01', '40001'])

export interface TransactOptions {
  readonly source: Envelope['source']
  /** Called after a commit that wrote events (wakes the outbox relay). */
  readonly onEvents?: () => void
  readonly retries?: number
}

/**
 * One transaction around `work`: committed when it returns ok, rolled back when it returns an
 * error (the error is returned) or throws (rethrown). Deadlocks are retried; a statement cancelled
 * by the statement timeout is thrown as StatementTimeout.
 */
export async function transact<T, E, Tx>(
  sql: Sql,
  opts: TransactOptions,
  makeTx: (tx: TxSql, events: TxEvents) => Tx,
  work: (tx: Tx) => Promise<Result<T, E>>,
): Promise<Result<T, E>> {
  const member = groupMember()
  if (member) {
    const shared = sharedOf(member, sql, opts)
    if (shared) return joined(shared, member, opts, makeTx, work)
  }
  for (let attempt = 0; ; attempt++) {
    const added = { count: 0 }
    try {
      const result = await inSpan('db transaction', TX_SPAN, async (span) => {
        try {
          return (await sql.begin(async (tx) => {
            const r = await work(makeTx(tx, outboxWriter(tx, opts.source, added)))
            if (!r.ok) throw new Rollback(r)
            return r
          })) as Result<T, E>
        } catch (e) {
          if (!(e instanceof Rollback)) throw e
          span?.setAttribute('shop.transaction.outcome', 'rolled back: expected error')
          return e.result as Result<T, E>
        }
      })
      if (result.ok && added.count > 0) opts.onEvents?.()
      return result
    } catch (e) {
      const code = (e as { code?: string }).code
      if (code && RETRYABLE.has(code) && attempt < (opts.retries ?? 3)) continue
      // Past STATEMENT_TIMEOUT_MS: the typed error (HTTP answers it 503), never retried.
      throw statementTimeoutOf(e) ?? e
    }
  }
}

/** A delivery group's transaction (see bus/group.ts): opened by its first member, committed once all settled. */
interface Shared {
  readonly sql: Sql
  readonly tx: Promise<TxSql>
  readonly committed: Promise<void>
  /** Members run one at a time on the one connection. */
  turn: Promise<unknown>
  events: number
  /** A member failed: the group's transaction is rolled back and every member runs alone. */
  aborted: boolean
}

/** Why a member's transaction runs again on its own: its group's was rolled back. */
class GroupAborted extends Error {
  constructor() {
    super('the delivery group was rolled back')
  }
}

function sharedOf(member: GroupMember, sql: Sql, opts: TransactOptions): Shared | undefined {
  const group = member.group
  if (group.shared) return (group.shared as Shared).sql === sql ? (group.shared as Shared) : undefined
  let open!: (tx: TxSql) => void
  let fail!: (e: unknown) => void
  const tx = new Promise<TxSql>((resolve, reject) => {
    open = resolve
    fail = reject
  })
  const shared: Shared = {
    sql,
    tx,
    turn: Promise.resolve(),
    events: 0,
    aborted: false,
    committed: sql
      .begin(async (t) => {
        // Groups of one queue run side by side: one waiting on another's row (two groups locking
        // two products in opposite orders) gives up soon, rather than at the deadlock check a
        // second later, and its members run alone.
        await t`set local lock_timeout = '250ms'`
        open(t as TxSql)
        await group.allSettled()
        // Every member is done with the transaction: what is left is to wait for the last turn.
        await shared.turn
        if (shared.aborted) throw new GroupAborted()
      })
      .then(
        () => {
          group.closed = true
          if (shared.events > 0) opts.onEvents?.()
        },
        (e) => {
          group.closed = true
          shared.aborted = true
          fail(e)
          throw e
        },
      ),
  }
  shared.committed.catch(() => {})
  group.shared = shared
  return shared
}

/**
 * A member's transaction inside its group's: its work runs on the group's connection (members one
 * after the other), then the member parks until the group commits, and returns only then: its
 * message is acked after its effect is durable. When any member fails (throws, returns an expected
 * error, a deadlock) or the commit fails, the group's transaction is rolled back as a whole and every
 * member's transaction runs again on its own: the message at fault is isolated, the others commit.
 */
async function joined<T, E, Tx>(
  shared: Shared,
  member: GroupMember,
  opts: TransactOptions,
  makeTx: (tx: TxSql, events: TxEvents) => Tx,
  work: (tx: Tx) => Promise<Result<T, E>>,
): Promise<Result<T, E>> {
  const mine = shared.turn.then(async (): Promise<Result<T, E>> => {
    if (shared.aborted) throw new GroupAborted()
    const tx = await shared.tx
    const added = { count: 0 }
    try {
      const r = await work(makeTx(tx, outboxWriter(tx, opts.source, added)))
      if (!r.ok) throw new GroupAborted()
      shared.events += added.count
      return r
    } catch (e) {
      shared.aborted = true
      throw e
    }
  })
  shared.turn = mine.catch(() => {})
  try {
    const result = await mine
    member.group.settle(member) // parked: the group may commit without this member
    await shared.committed
    return result
  } catch {
    // This member's work, another's, or the commit failed: nothing of the group is committed.
    member.group.settle(member)
    await shared.committed.catch(() => {})
    return transact(shared.sql, opts, makeTx, work)
  }
}

/** The SQLSTATE and constraint of a postgres error, when it is one. */
export function pgError(e: unknown): { code?: string; constraint?: string } {
  const x = e as { code?: string; constraint_name?: string }
  return { code: x?.code, constraint: x?.constraint_name }
}
