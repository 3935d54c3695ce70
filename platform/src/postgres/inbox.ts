import { type Inbox, noteDuplicate } from '@shop/kernel/inbox'
import type { Sql, TxSql } from './connect.ts'

/** The inbox port on the `inbox` table, inside the consumer's transaction (see `once` in inbox.ts). */
export function postgresInbox(tx: TxSql): Inbox {
  return {
    async claim(eventId, type) {
      const rows = await tx`insert into inbox (event_id, type) values (${eventId}, ${type}) on conflict do nothing
          returning event_id`
      if (rows.length === 0) noteDuplicate()
      return rows.length === 1
    },
  }
}

/**
 * Forgets events processed more than `hours` ago; returns how many. Kept long enough that no
 * redelivery can still arrive (the broker retries for seconds, a dead-letter replay within days).
 */
export async function pruneInbox(sql: Sql, hours: number): Promise<number> {
  const rows = await sql`delete from inbox where processed_at < now() - make_interval(hours => ${hours}) returning 1`
  return rows.length
}
