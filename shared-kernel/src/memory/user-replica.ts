import type { Envelope } from '../event-types.ts'
import type { KnownUser } from '../http/auth.ts'
import { noteDuplicate } from '../inbox.ts'
import type { UserReplica } from '../postgres/user-replica.ts'

/** The same replica in memory (unit tests, embedding). */
export function memoryUserReplica(): UserReplica & { readonly rows: Map<string, { username: string | null; role: 'USER' | 'ADMIN' | null; version: number; deleted: boolean }> } {
  const rows = new Map<string, { username: string | null; role: 'USER' | 'ADMIN' | null; version: number; deleted: boolean }>()
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
      rows.set(e.data.id, {
        username: deleted ? (held?.username ?? null) : d.username,
        role: deleted ? (held?.role ?? null) : d.role,
        version: e.data.version,
        deleted,
      })
      return true
    },
    async lookup(id): Promise<KnownUser | undefined> {
      const row = rows.get(id)
      if (!row) return undefined
      if (row.deleted) return { deleted: true }
      return { deleted: false, role: row.role ?? 'USER', username: row.username ?? '' }
    },
  }
}
