import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from '../log.ts'
import type { Sql } from './connect.ts'

const FILE = /^(\d+)_([\w-]+)\.sql$/

/**
 * The kernel's own tables (outbox, inbox), numbered from 9001 so they never meet a service's numbers. Always applied.
 */
export const MESSAGING_MIGRATIONS = join(import.meta.dir, '..', '..', 'migrations', 'messaging')
/** The user replica of the consuming services (catalog, order), numbered from 9101. */
export const USER_REPLICA_MIGRATIONS = join(import.meta.dir, '..', '..', 'migrations', 'user-replica')

export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql: string
}

function readMigrations(dir: string): Migration[] {
  const seen = new Set<number>()
  return readdirSync(dir)
    .map((f) => ({ f, m: FILE.exec(f) }))
    .filter((x): x is { f: string; m: RegExpExecArray } => x.m !== null)
    .map(({ f, m }) => {
      const version = Number(m[1])
      if (seen.has(version)) throw new Error(`two migrations numbered ${version} in ${dir}`)
      seen.add(version)
      return { version, name: m[2]!, sql: readFileSync(join(dir, f), 'utf8') }
    })
    .sort((a, b) => a.version - b.version)
}

/**
 * Applies the numbered `.sql` files of `dir` that are not yet recorded in `schema_migrations`, in
 * order, in one transaction (all or none). An advisory lock keeps two instances starting at once
 * from applying the same file twice.
 */
export async function migrate(sql: Sql, dirs: string | readonly string[], log: Logger): Promise<number[]> {
  const all = [...(typeof dirs === 'string' ? [dirs] : dirs), MESSAGING_MIGRATIONS]
  const migrations = [...new Set(all)].flatMap(readMigrations).sort((a, b) => a.version - b.version)
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version)
      throw new Error(`two migrations numbered ${migrations[i]!.version}`)
  }
  const applied: number[] = []
  await sql.begin(async (tx) => {
    // A migration may take longer than a request may (STATEMENT_TIMEOUT_MS): no timeout here.
    await tx`set local statement_timeout = 0`
    await tx`select pg_advisory_xact_lock(7281931)`
    // Under the lock: two instances starting at once on a new database would otherwise both create
    // the table, and one fail on pg_type's unique index ("if not exists" does not hold in a race).
    await tx`create table if not exists schema_migrations (
      version integer primary key,
      name text not null,
      applied_at timestamptz not null default now()
    )`
    const done = new Set((await tx<{ version: number }[]>`select version from schema_migrations`).map((r) => r.version))
    for (const m of migrations) {
      if (done.has(m.version)) continue
      await tx.savepoint(async (sp) => {
        // The file's own text from the repository, never user input.
        await sp.unsafe(m.sql)
        await sp`insert into schema_migrations (version, name) values (${m.version}, ${m.name})`
      })
      applied.push(m.version)
      log.info('migration applied', { version: m.version, name: m.name })
    }
  })
  return applied
}
