import type { Q } from '@shop/platform/postgres/connect'
import type { IdempotencyKeys } from '../../ports.ts'

export function postgresKeys(sql: Q): IdempotencyKeys {
  return {
    async claim({ userId, key, fingerprint, at }) {
      // A concurrent insert of the same (user, key) waits here until the first transaction ends;
      // "do nothing" then leaves this one usable, and the select sees the committed row.
      const inserted = await sql`
        insert into idempotency_keys (user_id, key, fingerprint, created_at)
        values (${userId}, ${key}, ${fingerprint}, ${at})
        on conflict (user_id, key) do nothing
        returning key`
      if (inserted.length) return { claimed: true }
      const [held] = await sql<{ fingerprint: string; order_id: number | null }[]>`
        select fingerprint, order_id from idempotency_keys where user_id = ${userId} and key = ${key}`
      if (!held) throw new Error('idempotency key vanished between insert and select')
      return { claimed: false, fingerprint: held.fingerprint, orderId: held.order_id }
    },
    async attach(userId, key, orderId) {
      await sql`update idempotency_keys set order_id = ${orderId} where user_id = ${userId} and key = ${key}`
    },
  }
}
