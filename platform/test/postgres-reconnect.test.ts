import { repoId } from '../testing/databases.ts'
import { runToEnd } from '../testing/fixtures.ts'
import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { silentLogger } from '../src/log.ts'
import { ensureDatabase } from '../src/postgres/connect.ts'
import { serverUrl, useServer } from '../testing/databases.ts'

/**
 * The pool recovers by itself when the server drops its connections (pg_terminate_backend, a
 * failover, a restart), and a transaction cut by it fails cleanly. postgres.js 3.4.9 did neither
 * (see patches/postgres@3.4.9.patch): a write scheduled before a close ran after it and threw from
 * an immediate (an uncaught exception that crashed a service); the cancelled flush left a stale
 * timer, so later connections never sent their startup message (CONNECT_TIMEOUT forever); a
 * connection dropped while it fetched the array types left an unhandled rejection (fatal); a
 * query handed to a connection between its socket error and its close was never settled, or was
 * resolved by the next session's ReadyForQuery; and a transaction whose connection died went on
 * sending its statements, ROLLBACK or COMMIT to the new session of that connection, possibly in
 * the middle of another transaction. Seen as hung relays and consumers and lost effects.
 */

describe.skipIf(!(await useServer()))('the kernel pool when the server terminates its connections', () => {
  test('transactions fail while it happens, then succeed again; nothing escapes, nothing hangs', async () => {
    const url = new URL(serverUrl())
    url.pathname = `/shop_test_reconnect_${repoId}`
    await ensureDatabase(url.toString(), silentLogger)
    const { code, out, err } = await runToEnd(['bun', join(import.meta.dir, 'fixtures', 'terminated-backends.ts')], {
      env: { ...process.env, RECONNECT_DATABASE_URL: url.toString() },
    })
    expect(err).not.toContain('socket.write')
    expect(code).toBe(0)
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, number | boolean>
    expect(r.before).toBeGreaterThan(0)
    expect(r.failed).toBeGreaterThan(0) // the terminations did hit transactions in flight
    expect(r).toMatchObject({ escaped: 0, hung: 0, returned: true, wrong: 0, halfApplied: 0, lost: 0 })
    expect(r.after).toBeGreaterThan(20) // recovered: transactions commit again
  }, 90_000)
})
