import type { Envelope } from '@shop/kernel/events'
import { type KnownUser, knownUserOf } from '../http/auth.ts'
import { noteDuplicate } from '@shop/kernel/inbox'
import type { UserReplica } from '../postgres/user-replica.ts'

interface Row {
  username: string | null
  role: 'USER' | 'ADMIN' | null
  version: number
  deleted: boolean
  /** ms since the epoch; null when no token was ever revoked. */
  tokensValidAfter: number | null
}

/** The same replica in memory (unit tests, embedding). */
export function memoryUserReplica(): UserReplica & { readonly rows: Map<string, Row> } {
  const rows = new Map<string, Row>()
  return {
    rows,
    async apply(e) {
      const held = rows.get(e.data.id)
      if (held && held.version >= e.data.version) {
        noteDuplicate()
        return false
      }
      const deleted = e.type === 'user.deleted'
      const d = e.data as Envelope<'user.created'>['data']
      const cutoff = d.tokens_valid_after ? Date.parse(d.tokens_valid_after) : null
      rows.set(e.data.id, {
        username: deleted ? (held?.username ?? null) : d.username,
        role: deleted ? (held?.role ?? null) : d.role,
        version: e.data.version,
        deleted,
        tokensValidAfter: deleted ? (held?.tokensValidAfter ?? null) : cutoff,
      })
      return true
    },
    async lookup(id): Promise<KnownUser | undefined> {
      const row = rows.get(id)
      return row ? knownUserOf(row) : undefined
    },
  }
}
