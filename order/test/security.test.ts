import { beforeAll, describe, expect, test } from 'bun:test'
import { adapterDatabases } from '@shop/platform/testing/databases'
import { expectNulRefusedBy } from '@shop/platform/testing/problem'
import type { Sql } from '@shop/platform/postgres/connect'
import { MIGRATIONS } from '../src/main.ts'
import { memoryOrderStore } from '../src/adapters/memory/store.ts'
import { postgresOrderStore } from '../src/adapters/postgres/store.ts'
import type { OrderStore } from '../src/ports.ts'
import { orderTestApp } from './support.ts'

/**
 * Regression found by tests/security: a NUL in shipping_address reached PostgreSQL (which cannot
 * store it: a 500). Control characters are refused in shipping_address (line breaks and tabs
 * allowed: an address spans lines) and in the Idempotency-Key. Run over every adapter: the NUL
 * only fails on PostgreSQL.
 */
function suite(name: string, make: () => Promise<{ store: OrderStore; sql?: Sql }>) {
  describe(`order hardening: ${name}`, () => {
    let t: ReturnType<typeof orderTestApp>
    let sql: Sql | undefined
    let pid: number
    beforeAll(async () => {
      const made = await make()
      sql = made.sql
      t = orderTestApp({ store: made.store })
      pid = (await t.product({ price: '2.00' })).id
    })
    const problem = (r: { status: number; headers: Headers; body: any }, status: number, path: string) => {
      expect({
        status: r.status,
        type: r.headers.get('Content-Type'),
        paths: r.body?.errors?.map((e: { path: string }) => e.path),
      }).toEqual({
        status,
        type: 'application/problem+json',
        paths: [path],
      })
    }

    test('the database itself refuses a NUL in text (what the checks below prevent)', async () => {
      if (sql) await expectNulRefusedBy(sql)
    })

    test('POST /order: a NUL or another control character in shipping_address is 422, not 500', async () => {
      const u = await t.user()
      for (const address of ['Main St 1\u0000', '\u0000', 'Main\u0007St', 'Main St\u001b[2J', 'x\u007f']) {
        problem(
          await t.req('POST', '/api/v1/order', {
            token: u.token,
            body: { items: [{ product_id: pid, quantity: 1 }], shipping_address: address },
          }),
          422,
          'shipping_address',
        )
      }
      const ok = await t.req('POST', '/api/v1/order', {
        token: u.token,
        body: { items: [{ product_id: pid, quantity: 1 }], shipping_address: 'Main St 1\r\n12345 Town\tDE' },
      })
      expect(ok.status).toBe(201)
      expect(ok.body.shipping_address).toBe('Main St 1\r\n12345 Town\tDE')
      expect((await t.req('GET', '/api/v1/orders', { token: u.token })).body).toHaveLength(1)
    })

    test('PUT /update_order: a NUL in shipping_address is 422 and changes nothing', async () => {
      const u = await t.user()
      const o = await t.order(u.token, [{ product_id: pid, quantity: 1 }], { shipping_address: 'Old 1' })
      problem(
        await t.req('PUT', `/api/v1/update_order/${o.id}`, {
          token: u.token,
          body: { shipping_address: 'New\u00001' },
        }),
        422,
        'shipping_address',
      )
      expect((await t.req('GET', `/api/v1/order/${o.id}`, { token: u.token })).body.shipping_address).toBe('Old 1')
    })

    test('Idempotency-Key: control characters are 422; a normal key still replays', async () => {
      const u = await t.user()
      const body = { items: [{ product_id: pid, quantity: 1 }] }
      for (const key of ['k\u0001', '\u007f', 'a\tb']) {
        problem(
          await t.req('POST', '/api/v1/order', { token: u.token, body, headers: { 'Idempotency-Key': key } }),
          422,
          'Idempotency-Key',
        )
      }
      const first = await t.req('POST', '/api/v1/order', {
        token: u.token,
        body,
        headers: { 'Idempotency-Key': 'key-ä-1' },
      })
      const again = await t.req('POST', '/api/v1/order', {
        token: u.token,
        body,
        headers: { 'Idempotency-Key': 'key-ä-1' },
      })
      expect([first.status, again.status, again.body.id]).toEqual([201, 201, first.body.id])
    })
  })
}

suite('memory', async () => ({ store: memoryOrderStore() }))
for (const db of await adapterDatabases('order', MIGRATIONS)) {
  suite(`postgres ${db.kind}`, async () => {
    const sql = await db.open()
    return { store: postgresOrderStore(sql), sql }
  })
}
