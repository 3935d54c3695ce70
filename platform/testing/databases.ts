import { join } from 'node:path'
import postgres from 'postgres'
import { silentLogger } from '../src/log.ts'
import { type Database, ensureDatabase, openDatabase, type Sql } from '../src/postgres/connect.ts'
import { migrate } from '../src/postgres/migrate.ts'

/**
 * Databases for adapter tests. PGlite: one per service name for the whole run (opening one costs
 * about a second and 250 MB). Real server: `TEST_DATABASE_URL` (or DATABASE_URL, or the local
 * default); a test that needs it fails in CI when it is down, and is skipped with a notice elsewhere.
 */
const pglites = new Map<string, Promise<Database>>()

function sharedPglite(name: string): Promise<Database> {
  let db = pglites.get(name)
  if (!db) {
    db = openDatabase({ dataDir: 'memory://', name, poolMax: 1, log: silentLogger })
    pglites.set(name, db)
  }
  return db
}

export const inCI = (): boolean => ['true', '1', 'yes'].includes((process.env.CI ?? '').toLowerCase())

export function serverUrl(): string {
  return process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
}

let reachable: Promise<boolean> | undefined
function serverReachable(): Promise<boolean> {
  reachable ??= (async () => {
    const sql = postgres(serverUrl(), { max: 1, connect_timeout: 3, onnotice: () => {} })
    try {
      await sql`select 1`
      return true
    } catch {
      return false
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {})
    }
  })()
  return reachable
}

/** Whether real-server tests run: yes when reachable; when not, CI fails and a laptop skips. */
export async function useServer(what = 'PostgreSQL'): Promise<boolean> {
  if (await serverReachable()) return true
  if (inCI()) throw new Error(`${what} at ${serverUrl()} is not reachable, and CI requires it`)
  console.warn(`[skip] ${what} at ${serverUrl()} is not reachable: real-server tests skipped (they fail in CI)`)
  return false
}

const servers = new Map<string, Promise<Database>>()

/**
 * This checkout alone (a hash of its path): what names a database or vhost that one test file
 * uses by itself, the same whichever worker runs the file (so a run leaves one of each, not one per
 * worker: every vhost's quorum queues hold files open on the broker).
 */
export const repoId = Bun.hash(join(import.meta.dir, '..', '..'))
  .toString(36)
  .slice(0, 6)

/**
 * What names the databases and vhosts several test files share: this checkout, so two working
 * trees on one machine never share one, and under `bun test --parallel` the worker
 * (BUN_TEST_WORKER_ID), so files run at once never share one either (a worker runs its files one
 * after the other).
 */
export const checkout = `${repoId}${process.env.BUN_TEST_WORKER_ID ? `w${process.env.BUN_TEST_WORKER_ID}` : ''}`

/** A test database `shop_test_<name>_<checkout>` on the real server, shared by the run. */
export function sharedServerDb(name: string): Promise<Database> {
  let db = servers.get(name)
  if (!db) {
    const url = new URL(serverUrl())
    url.pathname = `/shop_test_${name}_${checkout}`
    db = ensureDatabase(url.toString(), silentLogger).then(() =>
      // Idle connections closed after 2 s: a worker of `bun test --parallel` keeps this pool for the
      // rest of its files, and the server's connections are shared with everything else running.
      openDatabase({ url: url.toString(), dataDir: '', name, poolMax: 6, log: silentLogger, idleTimeoutSeconds: 2 }),
    )
    servers.set(name, db)
  }
  return db
}

/** Drops everything and applies the migrations again: each suite starts from an empty schema. */
export async function freshSchema(sql: Sql, migrations: string | readonly string[]): Promise<void> {
  await sql`drop schema if exists public cascade`
  await sql`create schema public`
  await migrate(sql, migrations, silentLogger)
}

export type DbKind = 'pglite' | 'server'

/**
 * The databases an adapter suite runs on: PGlite always, the real server when `useServer()` says
 * so. Each entry opens its database lazily and resets its schema.
 */
export async function adapterDatabases(
  name: string,
  migrations: string | readonly string[],
): Promise<{ kind: DbKind; open: () => Promise<Sql> }[]> {
  const kinds: { kind: DbKind; open: () => Promise<Sql> }[] = [
    {
      kind: 'pglite',
      open: async () => {
        const db = await sharedPglite(name)
        await freshSchema(db.sql, migrations)
        return db.sql
      },
    },
  ]
  if (await useServer()) {
    kinds.push({
      kind: 'server',
      open: async () => {
        const db = await sharedServerDb(name)
        await freshSchema(db.sql, migrations)
        return db.sql
      },
    })
  }
  return kinds
}
