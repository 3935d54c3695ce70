import { beforeAll, describe, expect, test } from 'bun:test'
import { adapterDatabases } from '@shop/platform/testing/databases'
import { expectProblem } from '@shop/platform/testing/problem'
import { memoryCatalogStore } from '../src/adapters/memory/store.ts'
import { postgresCatalogStore } from '../src/adapters/postgres/store.ts'
import { MIGRATIONS } from '../src/main.ts'
import type { CatalogStore } from '../src/ports.ts'
import { catalogTestApp } from './support.ts'

/** A product's SKU through the HTTP API, over each store. */
function skus(name: string, make: () => Promise<CatalogStore>) {
  describe(`product sku over HTTP (${name})`, () => {
    let t: ReturnType<typeof catalogTestApp>
    beforeAll(async () => {
      t = catalogTestApp({ store: await make() })
    })
    let n = 0
    const app = async () => ({ t, c: await t.category(`Skus ${++n}`) })
    const total = async () => Number((await t.req('GET', '/api/v1/products')).headers.get('X-Total-Count'))

    test('create: trimmed, kept as written, shown in every read; absent or null is none', async () => {
      const { c } = await app()
      const r = await t.admin('POST', '/api/v1/product', {
        name: 'Widget',
        price: '1.00',
        category_id: c.id,
        sku: '  Wd-12.x_Y  ',
      })
      expect(r.status).toBe(201)
      expect(r.body.sku).toBe('Wd-12.x_Y')
      expect((await t.req('GET', `/api/v1/product/${r.body.id}`)).body.sku).toBe('Wd-12.x_Y')
      const listed = await t.req('GET', `/api/v1/products?category_id=${c.id}`)
      expect(listed.body.map((p: { sku: string }) => p.sku)).toEqual(['Wd-12.x_Y'])
      expect((await t.req('GET', `/api/v1/products_with_category/${c.id}`)).body[0].sku).toBe('Wd-12.x_Y')
      expect((await t.product('No sku', c.id)).sku).toBeNull()
      expect((await t.product('Null sku', c.id, { sku: null })).sku).toBeNull()
      expect((await t.product('Longest', c.id, { sku: 'x'.repeat(64) })).sku).toBe('x'.repeat(64))
    })

    test('update: sets, changes (its own case too), clears with null; absent leaves it', async () => {
      const { c } = await app()
      const p = await t.product('Changing', c.id)
      const put = (body: unknown) => t.admin('PUT', `/api/v1/product/${p.id}`, body)
      const set = await put({ sku: 'NEW-1' })
      expect(set.status).toBe(200)
      expect(set.body.sku).toBe('NEW-1')
      expect((await put({ name: 'Renamed' })).body).toMatchObject({ name: 'Renamed', sku: 'NEW-1' })
      expect((await put({ sku: 'new-1' })).body.sku).toBe('new-1')
      const cleared = await put({ sku: null })
      expect(cleared.status).toBe(200)
      expect(cleared.body.sku).toBeNull()
      expect((await t.req('GET', `/api/v1/product/${p.id}`)).body.sku).toBeNull()
      // clearing what is not there changes nothing: the same product, its updated_at as it was
      expect((await put({ sku: null })).body).toEqual(cleared.body)
    })

    test('a SKU another product has, in any case: 409 SKU_TAKEN, and nothing is written', async () => {
      const { c } = await app()
      const a = await t.product('First', c.id, { sku: 'DUP-1' })
      const before = await total()
      const created = await t.admin('POST', '/api/v1/product', {
        name: 'Second',
        price: '1.00',
        category_id: c.id,
        sku: 'dup-1',
      })
      expectProblem(created, 409, 'SKU_TAKEN')
      expect(created.body.detail).toContain('dup-1')
      expect(await total()).toBe(before)
      const b = await t.product('Third', c.id, { sku: 'OTHER' })
      expectProblem(await t.admin('PUT', `/api/v1/product/${b.id}`, { sku: 'Dup-1', stock: 7 }), 409, 'SKU_TAKEN')
      expect((await t.req('GET', `/api/v1/product/${b.id}`)).body).toEqual(b)
      // once the first lets it go, it is free
      await t.admin('PUT', `/api/v1/product/${a.id}`, { sku: null })
      expect((await t.admin('PUT', `/api/v1/product/${b.id}`, { sku: 'Dup-1' })).body.sku).toBe('Dup-1')
    })

    test('an invalid SKU: 422 VALIDATION_FAILED naming sku, and nothing is written', async () => {
      const { c } = await app()
      const p = await t.product('Valid', c.id, { sku: 'OK-1' })
      const before = await total()
      for (const sku of ['', '   ', 'a b', 'é1', 'a/b', 'x'.repeat(65), 'a\u0000', 12, true, []]) {
        const created = await t.admin('POST', '/api/v1/product', { name: 'Bad', price: '1.00', category_id: c.id, sku })
        expectProblem(created, 422, 'VALIDATION_FAILED')
        expect(created.body.errors.map((e: { path: string }) => e.path)).toEqual(['sku'])
        expectProblem(await t.admin('PUT', `/api/v1/product/${p.id}`, { sku }), 422, 'VALIDATION_FAILED')
      }
      expect(await total()).toBe(before)
      expect((await t.req('GET', `/api/v1/product/${p.id}`)).body).toEqual(p)
    })
  })
}

skus('memory', async () => memoryCatalogStore())
for (const db of await adapterDatabases('catalog', MIGRATIONS))
  skus(`postgres ${db.kind}`, async () => postgresCatalogStore(await db.open()))

describe('product events carry the sku', () => {
  test('product.created and product.updated: the SKU, or null once cleared', async () => {
    const t = catalogTestApp()
    const c = await t.category('Evented skus')
    const p = await t.product('Announced', c.id, { sku: 'EV-1' })
    await t.admin('PUT', `/api/v1/product/${p.id}`, { sku: 'EV-2' })
    await t.admin('PUT', `/api/v1/product/${p.id}`, { sku: null })
    const mine = t.published.filter(
      (e) => (e.type === 'product.created' || e.type === 'product.updated') && e.data.id === p.id,
    )
    expect(mine.map((e) => [e.type, 'sku' in e.data ? e.data.sku : undefined])).toEqual([
      ['product.created', 'EV-1'],
      ['product.updated', 'EV-2'],
      ['product.updated', null],
    ])
  })
})
