import { beforeAll, describe, expect, test } from 'bun:test'
import { adapterDatabases } from '@shop/platform/testing/databases'
import { MIGRATIONS } from '../src/main.ts'
import { memoryCatalogStore } from '../src/adapters/memory/store.ts'
import { postgresCatalogStore } from '../src/adapters/postgres/store.ts'
import type { CatalogStore } from '../src/ports.ts'
import { catalogTestApp } from './support.ts'
import { expectProblem } from '@shop/platform/testing/problem'

/**
 * Every free-text input of the catalog refuses a NUL (PostgreSQL cannot store one: it would be a
 * 500) with a 422, on every adapter: names and descriptions of categories and products, and the
 * search `q`. Descriptions keep their line breaks and tabs.
 */
function suite(name: string, make: () => Promise<CatalogStore>) {
  describe(`catalog free text: ${name}`, () => {
    let t: ReturnType<typeof catalogTestApp>
    let cat: number
    let prod: number
    beforeAll(async () => {
      t = catalogTestApp({ store: await make() })
      cat = (await t.category('Tools')).id
      prod = (await t.product('Hammer', cat)).id
    })

    test(
      'category and product names and descriptions: ' + 'a NUL or another control character is 422, nothing written',
      async () => {
        const bad = ['a\u0000b', '\u0000', 'x\u001by', 'del\u007f']
        for (const v of bad) {
          expectProblem(await t.admin('POST', '/api/v1/category', { name: v }), 422)
          expectProblem(await t.admin('POST', '/api/v1/category', { name: 'Fine', description: v }), 422)
          expectProblem(await t.admin('PUT', `/api/v1/category/${cat}`, { name: v }), 422)
          expectProblem(await t.admin('PUT', `/api/v1/category/${cat}`, { description: v }), 422)
          expectProblem(await t.admin('POST', '/api/v1/product', { name: v, price: '1.00', category_id: cat }), 422)
          expectProblem(
            await t.admin('POST', '/api/v1/product', { name: 'Fine', description: v, price: '1.00', category_id: cat }),
            422,
          )
          expectProblem(await t.admin('PUT', `/api/v1/product/${prod}`, { name: v }), 422)
          expectProblem(await t.admin('PUT', `/api/v1/product/${prod}`, { description: v }), 422)
        }
        const cats = await t.req('GET', '/api/v1/categories')
        expect(cats.body.map((c: { name: string }) => c.name)).toEqual(['Tools'])
        const p = await t.req('GET', `/api/v1/product/${prod}`)
        expect([p.body.name, p.body.description]).toEqual(['Hammer', null])
      },
    )

    test('descriptions keep line breaks and tabs', async () => {
      const r = await t.admin('PUT', `/api/v1/product/${prod}`, { description: 'line 1\nline 2\r\n\tindented' })
      expect(r.status).toBe(200)
      expect((await t.req('GET', `/api/v1/product/${prod}`)).body.description).toBe('line 1\nline 2\r\n\tindented')
    })

    test('search q: a NUL (raw or percent-encoded) is 422, not 500', async () => {
      for (const q of ['%00', 'ham%00mer', encodeURIComponent('\u0000'), '%1B'])
        expectProblem(await t.req('GET', `/api/v1/products?q=${q}`), 422)
      expect((await t.req('GET', '/api/v1/products?q=ham')).body).toHaveLength(1)
    })
  })
}

suite('memory', async () => memoryCatalogStore())
for (const db of await adapterDatabases('catalog', MIGRATIONS))
  suite(`postgres ${db.kind}`, async () => postgresCatalogStore(await db.open()))
