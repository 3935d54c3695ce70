import type { Envelope } from '../event-types.ts'
import type { KnownUser, UserLookup } from '../http/auth.ts'
import type { Sql, TxSql } from './connect.ts'

type UserEvent = Envelope<'user.created'> | Envelope<'user.updated'> | Envelope<'user.deleted'>

export interface UserReplica {
  /**
   * Applies a user.* event when its version is newer than the one held; returns whether it did.
   * Idempotent by version (a duplicate or an older event changes nothing), so it needs no inbox.
   */
  apply(e: UserEvent): Promise<boolean>
  /** For the JWT middleware: deleted, current role, or undefined when never heard of. */
  readonly lookup: UserLookup
}

/** The user replica of catalog and order, in their own database (table from USER_REPLICA_MIGRATIONS). */
export function postgresUserReplica(sql: Sql | TxSql): UserReplica {
  return {
    async apply(e) {
      const deleted = e.type === 'user.deleted'
      const username = deleted ? null : (e as Envelope<'user.created'>).data.username
      const role = deleted ? null : (e as Envelope<'user.created'>).data.role
      // A tombstone keeps its last known username; the role no longer matters.
      const rows = await sql`
        insert into user_replica as r (id, username, role, version, deleted)
        values (${e.data.id}, ${username}, ${role}, ${e.data.version}, ${deleted})
        on conflict (id) do update set
          username = coalesce(excluded.username, r.username),
          role = coalesce(excluded.role, r.role),
          version = excluded.version,
          deleted = excluded.deleted,
          updated_at = now()
        where r.version < excluded.version
        returning id`
      return rows.length === 1
    },
    async lookup(id): Promise<KnownUser | undefined> {
      const [row] = await sql<{ username: string | null; role: 'USER' | 'ADMIN' | null; deleted: boolean }[]>`
        select username, role, deleted from user_replica where id = ${id}`
      if (!row) return undefined
      if (row.deleted) return { deleted: true }
      return { deleted: false, role: row.role ?? 'USER', username: row.username ?? '' }
    },
  }
}
