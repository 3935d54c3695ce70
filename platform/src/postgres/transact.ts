import { type DomainEvent, type Envelope, makeEnvelope } from '@shop/kernel/events'
import { SpanKind, inSpan, traceparentOf } from '../observability/tracing.ts'
import type { Result } from '@shop/kernel/result'
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

/** The SQLSTATE and constraint of a postgres error, when it is one. */
export function pgError(e: unknown): { code?: string; constraint?: string } {
  const x = e as { code?: string; constraint_name?: string }
  return { code: x?.code, constraint: x?.constraint_name }
}
