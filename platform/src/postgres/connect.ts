import postgres from 'postgres'
import { join } from 'node:path'
import type { Logger } from '../log.ts'
import type { PoolStats } from '../observability/metrics.ts'
import { startEmbeddedPostgres } from './embedded.ts'

// biome-ignore lint/complexity/noBannedTypes: postgres.js's own type for "no custom types", what postgres() returns
export type Sql = postgres.Sql<{}>
// biome-ignore lint/complexity/noBannedTypes: postgres.js's own type for "no custom types", what postgres() returns
export type TxSql = postgres.TransactionSql<{}>
/** A handle SQL runs on: the pool, or a transaction of it. */
export type Q = Sql | TxSql

export interface Database {
  readonly sql: Sql
  /**
   * A second pool whose sessions always use generic plans (plan_cache_mode force_generic_plan),
   * for statements written to be planned once, whatever their parameters (the catalog's subtree
   * listing: both of its plans in one statement, chosen at run time). On the pool above PostgreSQL
   * may keep planning such a statement afresh on every call (it prefers custom plans when its
   * statistics make them look cheaper), which costs more than running it. It connects on first
   * use, so a service that never uses it holds no connection for it. Embedded: the same as `sql`.
   */
  readonly genericPlans: Sql
  /** True on the embedded PGlite (one backend session: no LISTEN/NOTIFY across connections). */
  readonly embedded: boolean
  /** A liveness probe for /health/ready. */
  ping(): Promise<void>
  /** The pool's connections in use and idle, and queries waiting for one (metrics). */
  pool(): PoolStats
  close(): Promise<void>
}

export interface DatabaseOptions {
  /** A real server; when absent, an embedded PGlite under `dataDir/<name>`. */
  readonly url?: string | undefined
  readonly dataDir: string
  /** The service name: the embedded database's directory. */
  readonly name: string
  readonly poolMax: number
  readonly log: Logger
  /** Create the database named in `url` when it does not exist (services mode). */
  readonly createIfMissing?: boolean
  /** Seconds before an idle pool connection is closed (default 60; the tests' shared pools close theirs sooner). */
  readonly idleTimeoutSeconds?: number
  /**
   * STATEMENT_TIMEOUT_MS: every statement of the pools' sessions (requests, event handlers, the
   * relay, housekeeping) is cancelled past it; 0 or absent: none. Migrations lift it for their
   * transaction. A real server only: the embedded PGlite has no timer to cancel with.
   */
  readonly statementTimeoutMs?: number
}

// int8 (counts, bigserial ids) as JS numbers: every id and count we store is far below 2^53.
// numeric stays a string: money is never a float.
const types = { int8: { to: 20, from: [20], serialize: (n: number) => String(n), parse: (s: string) => Number(s) } }

const common = (log: Logger, settings: Record<string, string> = {}) => ({
  onnotice: () => {},
  types,
  connection: { application_name: 'shop', ...settings },
  debug: undefined,
  // Pool connections are replaced after this many seconds idle, so dropped ones are noticed.
  idle_timeout: 60,
  connect_timeout: 10,
  onclose: () => log.debug('database connection closed'),
})

/** Creates the database named in `url` if missing, through the server's `postgres` database. */
export async function ensureDatabase(url: string, log: Logger): Promise<void> {
  const target = new URL(url)
  const name = decodeURIComponent(target.pathname.replace(/^\//, '')) || 'postgres'
  const admin = new URL(url)
  admin.pathname = '/postgres'
  const sql = postgres(admin.toString(), { ...common(log), max: 1 })
  try {
    const [row] = await sql`select 1 as found from pg_database where datname = ${name}`
    if (!row) {
      try {
        await sql`create database ${sql(name)}`
        log.info('database created', { database: name })
      } catch (e) {
        // 42P04: created meanwhile by another instance
        if ((e as { code?: string }).code !== '42P04') throw e
      }
    }
  } finally {
    await sql.end({ timeout: 5 })
  }
}

// The pool's queues, exposed by the shop's patch of postgres.js (patches/postgres@3.4.9.patch).
type PoolQueues = {
  max: number
  open: number
  busy: number
  full: number
  reserved: number
  connecting: number
  waiting: number
}

/** Connections in use (running queries, or held by a transaction), idle, and queries waiting. */
export function poolStats(sql: Sql): PoolStats {
  const q = (sql as unknown as { stats: () => PoolQueues }).stats()
  return { used: q.busy + q.full + q.reserved, idle: q.open, waiting: q.waiting }
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.url) {
    if (opts.createIfMissing) await ensureDatabase(opts.url, opts.log)
    const idle = opts.idleTimeoutSeconds ? { idle_timeout: opts.idleTimeoutSeconds } : {}
    const timeout: Record<string, string> = opts.statementTimeoutMs
      ? { statement_timeout: String(opts.statementTimeoutMs) }
      : {}
    const sql = postgres(opts.url, { ...common(opts.log, timeout), ...idle, max: opts.poolMax }) as Sql
    const genericPlans = postgres(opts.url, {
      ...common(opts.log, { plan_cache_mode: 'force_generic_plan', ...timeout }),
      ...idle,
      max: opts.poolMax,
    }) as Sql
    return {
      sql,
      genericPlans,
      embedded: false,
      ping: async () => void (await sql`select 1`),
      pool: () => poolStats(sql),
      close: async () => void (await Promise.all([sql.end({ timeout: 5 }), genericPlans.end({ timeout: 5 })])),
    }
  }
  const dir = opts.dataDir === 'memory://' ? 'memory://' : join(opts.dataDir, opts.name)
  const server = await startEmbeddedPostgres(dir)
  // PGlite is one backend session behind the socket: one connection, so prepared statements stay on.
  const sql = postgres({
    ...common(opts.log),
    host: server.host,
    port: server.port,
    user: 'postgres',
    database: 'postgres',
    max: 1,
  }) as Sql
  return {
    sql,
    genericPlans: sql,
    embedded: true,
    ping: async () => void (await sql`select 1`),
    pool: () => poolStats(sql),
    async close() {
      await sql.end({ timeout: 5 })
      await server.close()
    },
  }
}
