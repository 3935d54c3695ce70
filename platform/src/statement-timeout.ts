/**
 * A statement ran past STATEMENT_TIMEOUT_MS and the database cancelled it. Typed here, beside
 * neither the postgres adapters nor HTTP, so both can name it: `transact` rethrows the database's
 * cancellation as this, and the HTTP error mapping answers it 503 STATEMENT_TIMEOUT.
 */
export class StatementTimeout extends Error {
  constructor(cause: unknown) {
    super('a statement ran past STATEMENT_TIMEOUT_MS and was cancelled', { cause })
    this.name = 'StatementTimeout'
  }
}

/**
 * The StatementTimeout an error is, when it is one: this class, or PostgreSQL's own
 * `query_canceled` (SQLSTATE 57014) of a read made outside a transaction.
 */
export function statementTimeoutOf(e: unknown): StatementTimeout | undefined {
  if (e instanceof StatementTimeout) return e
  const x = e as { code?: unknown; message?: unknown } | null
  if (x && x.code === '57014' && typeof x.message === 'string' && x.message.includes('statement timeout'))
    return new StatementTimeout(e)
  return undefined
}
