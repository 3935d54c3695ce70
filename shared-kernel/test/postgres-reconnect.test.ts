import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { silentLogger } from '../src/log.ts'
import { ensureDatabase } from '../src/postgres/connect.ts'
import { serverUrl, useServer } from '../src/testing/databases.ts'

/**
 * The pool recovers by itself when the server drops its connections (pg_terminate_backend, a
 * failover, a restart). postgres.js 3.4.9 did not, without patches/postgres@3.4.9.patch: a write
 * scheduled before the close ran after it and threw from an immediate (`socket.write` of null: an
 * uncaught exception that crashed a service), and the cancelled flush left a stale timer behind,
 * so no later connection ever sent its startup message (CONNECT_TIMEOUT forever; a transaction's
 * query on the dead connection hung).
 */
const checkout = Bun.hash(join(import.meta.dir, '..', '..')).toString(36).slice(0, 6)

describe.skipIf(!(await useServer()))('the kernel pool when the server terminates its connections', () => {
  test('transactions fail while it happens, then succeed again; nothing escapes, nothing hangs', async () => {
    const url = new URL(serverUrl())
    url.pathname = `/shop_test_reconnect_${checkout}`
    await ensureDatabase(url.toString(), silentLogger)
    const child = Bun.spawn(['bun', join(import.meta.dir, 'fixtures', 'terminated-backends.ts')], {
      env: { ...process.env, RECONNECT_DATABASE_URL: url.toString() },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
    expect(err).not.toContain('socket.write')
    expect(code).toBe(0)
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as { before: number; after: number; failed: number; uncaught: number; returned: boolean }
    expect(r.before).toBeGreaterThan(0)
    expect(r.failed).toBeGreaterThan(0) // the terminations did hit transactions in flight
    expect(r.uncaught).toBe(0)
    expect(r.returned).toBe(true)
    expect(r.after).toBeGreaterThan(100) // recovered: transactions commit again
  }, 40_000)
})
