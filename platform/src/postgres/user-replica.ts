import type { Envelope } from '@shop/kernel/events'
import { type KnownUser, type UserLookup, knownUserOf } from '../http/auth.ts'
import { noteDuplicate } from '@shop/kernel/inbox'
import type { Logger } from '../log.ts'
import { UserCache, type UserCacheOptions } from '../user-cache.ts'
import type { Database, Sql, TxSql } from './connect.ts'

/** Channel of the replica's change notifications: the payload is the user id. */
const USER_REPLICA_CHANNEL = 'shop_user_replica'

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
      const cutoff = deleted ? null : ((e as Envelope<'user.created'>).data.tokens_valid_after ?? null)
      // A tombstone keeps its last known username; the role no longer matters. The token cut-off
      // (tokens_valid_after) is the event's: a revocation travels in user.updated. A change is
      // announced on USER_REPLICA_CHANNEL, delivered when it commits, so every instance's
      // lookup cache (cachedPostgresUserReplica) forgets the user.
      const rows = await sql`
        with applied as (
          insert into user_replica as r (id, username, role, version, deleted, tokens_valid_after)
          values (${e.data.id}, ${username}, ${role}, ${e.data.version}, ${deleted}, ${cutoff})
          on conflict (id) do update set
            username = coalesce(excluded.username, r.username),
            role = coalesce(excluded.role, r.role),
            version = excluded.version,
            deleted = excluded.deleted,
            tokens_valid_after = case when excluded.deleted then r.tokens_valid_after
              else excluded.tokens_valid_after end,
            updated_at = now()
          where r.version < excluded.version
          returning id
        )
        select id, pg_notify(${USER_REPLICA_CHANNEL}, id::text) from applied`
      if (rows.length === 0) noteDuplicate()
      return rows.length === 1
    },
    async lookup(id): Promise<KnownUser | undefined> {
      const [row] = await sql<
        { username: string | null; role: 'USER' | 'ADMIN' | null; deleted: boolean; tokens_valid_after: Date | null }[]
      >`
        select username, role, deleted, tokens_valid_after from user_replica where id = ${id}`
      if (!row) return undefined
      return knownUserOf({ ...row, tokensValidAfter: row.tokens_valid_after?.getTime() ?? null })
    },
  }
}

export interface CachedUserReplica extends UserReplica {
  readonly cache: UserCache
}

/**
 * The postgres replica with its lookups cached in process (a token check then costs no database
 * round trip). A user's entry is dropped when this instance applies a change to it (after the
 * statement committed) and when any instance does (NOTIFY on USER_REPLICA_CHANNEL, delivered at
 * commit; LISTEN on a connection of its own). Until that LISTEN is in place, and again after it
 * reconnects (notifications may have been missed), the cache is emptied and lookups read the
 * table. The embedded database has one session and one process: local invalidation suffices.
 */
export async function cachedPostgresUserReplica(
  db: Pick<Database, 'sql' | 'embedded'>,
  log: Logger,
  o: UserCacheOptions = {},
): Promise<CachedUserReplica> {
  const inner = postgresUserReplica(db.sql)
  const cache = new UserCache(inner.lookup, o)
  if (db.embedded) cache.enable()
  else {
    await db.sql.listen(
      USER_REPLICA_CHANNEL,
      (id) => cache.invalidate(id),
      () => {
        cache.clear()
        cache.enable()
        log.debug('user replica cache: listening for changes')
      },
    )
  }
  return {
    cache,
    lookup: cache.lookup,
    async apply(e) {
      try {
        return await inner.apply(e)
      } finally {
        cache.invalidate(e.data.id)
      }
    },
  }
}
