import { beforeAll, describe, expect, test } from 'bun:test'
import { adapterDatabases } from '@shop/platform/testing/databases'
import { expectProblem } from '@shop/platform/testing/problem'
import type { Reply } from '@shop/platform/testing/http'
import { MIGRATIONS } from '../src/main.ts'
import { memoryCatalogStore } from '../src/adapters/memory/store.ts'
import { postgresCatalogStore } from '../src/adapters/postgres/store.ts'
import type { CatalogStore } from '../src/ports.ts'
import { catalogTestApp } from './support.ts'

/**
 * Conditional reads through `app.request()`, over memory, PGlite and the real PostgreSQL: every
 * catalog read carries an ETag and `Cache-Control: public, no-cache`; `If-None-Match` (weak or
 * strong, a list, `*`) with the current tag is a 304 with no body; a listing answered 304 never ran.
 */

/** The store, counting the listings and trees it runs. */
function counting(store: CatalogStore) {
  const runs = { products: 0, categories: 0 }
  const wrapped: CatalogStore = {
    ...store,
    products: {
      byId: (id) => store.products.byId(id),
      list: (f, p) => {
        runs.products++
        return store.products.list(f, p)
      },
    },
    categories: {
      byId: (id) => store.categories.byId(id),
      lineage: (id) => store.categories.lineage(id),
      list: (s, p) => {
        runs.categories++
        return store.categories.list(s, p)
      },
      forest: (s, p, d) => {
        runs.categories++
        return store.categories.forest(s, p, d)
      },
    },
  }
  return { store: wrapped, runs }
}

const expect200 = (r: Reply): string => {
  expect(r.status).toBe(200)
  expect(r.headers.get('Cache-Control')).toBe('public, no-cache')
  const tag = r.headers.get('ETag')
  expect(tag).toMatch(/^W\/"[\x21\x23-\x7e]+"$/)
  return tag!
}

const expect304 = (r: Reply, tag: string) => {
  expect(r.status).toBe(304)
  expect(r.text).toBe('')
  expect(r.headers.get('ETag')).toBe(tag)
  expect(r.headers.get('Cache-Control')).toBe('public, no-cache')
  expect(r.headers.get('Content-Type')).toBeNull()
  expect(r.headers.get('X-Request-Id')).toBeTruthy()
}

const noTag = (r: Reply) => {
  expect(r.headers.get('ETag')).toBeNull()
  expect(r.headers.get('Cache-Control')).toBeNull()
}

function conditional(name: string, makeStore: () => Promise<CatalogStore>) {
  describe(`conditional reads (${name})`, () => {
    let t: ReturnType<typeof catalogTestApp>
    let runs: { products: number; categories: number }
    const ids = { root: 0, leaf: 0, p1: 0, p2: 0 }
    beforeAll(async () => {
      const c = counting(await makeStore())
      runs = c.runs
      t = catalogTestApp({ store: c.store })
      ids.root = (await t.category('Cond root')).id
      ids.leaf = (await t.category('Cond leaf', ids.root)).id
      ids.p1 = (await t.product('Cond one', ids.leaf, { stock: 5 })).id
      ids.p2 = (await t.product('Cond two', ids.root, { stock: 5 })).id
    })
    const get = (path: string, inm?: string) =>
      t.req('GET', path, inm === undefined ? {} : { headers: { 'If-None-Match': inm } })
    const reads = () => [
      `/api/v1/products?category_id=${ids.root}&sort=-price&limit=1&offset=1&q=cond`,
      `/api/v1/products_with_category/${ids.root}?include_subcategories=false`,
      `/api/v1/product/${ids.p1}`,
      '/api/v1/categories',
      `/api/v1/categories?tree=true&parent_id=${ids.root}`,
      `/api/v1/categories/${ids.leaf}`,
    ]

    test('every read: 200 with an ETag and public, no-cache; the same tag again: 304, no body', async () => {
      for (const path of reads()) {
        const first = await get(path)
        const tag = expect200(first)
        expect(first.text.length).toBeGreaterThan(2)
        expect304(await get(path, tag), tag)
        // Asked again unconditionally: the same tag (nothing changed).
        expect(expect200(await get(path))).toBe(tag)
      }
    })

    test('a 304 of a listing or tree does not run it; a 200 does', async () => {
      const products = `/api/v1/products?category_id=${ids.root}&sort=name`
      const inCategory = `/api/v1/products_with_category/${ids.root}`
      const tree = '/api/v1/categories?tree=true'
      const tags = {
        products: expect200(await get(products)),
        inCategory: expect200(await get(inCategory)),
        tree: expect200(await get(tree)),
        flat: expect200(await get('/api/v1/categories')),
      }
      const before = { ...runs }
      for (let i = 0; i < 3; i++) {
        expect304(await get(products, tags.products), tags.products)
        expect304(await get(inCategory, tags.inCategory), tags.inCategory)
        expect304(await get(tree, tags.tree), tags.tree)
        expect304(await get('/api/v1/categories', tags.flat), tags.flat)
      }
      expect(runs).toEqual(before)
      expect200(await get(products, 'W/"not-the-tag"'))
      expect200(await get(tree, '"not-the-tag"'))
      expect(runs).toEqual({ products: before.products + 1, categories: before.categories + 1 })
    })

    test('weak and strong forms, lists with the tag anywhere in them, and * all match', async () => {
      const path = `/api/v1/products?category_id=${ids.root}`
      const tag = expect200(await get(path))
      const opaque = tag.slice(2)
      for (const inm of [tag, opaque, `"other", ${tag}`, `W/"a", "b",${opaque} , W/"c"`, `, ${tag},`, '*', ' * '])
        expect304(await get(path, inm), tag)
      for (const inm of ['"other"', 'W/"other", "again"', `W/"x${opaque.slice(1)}`])
        expect(expect200(await get(path, inm))).toBe(tag)
      const one = `/api/v1/product/${ids.p1}`
      const productTag = expect200(await get(one))
      expect304(await get(one, productTag.slice(2)), productTag)
      expect304(await get(one, `"x", ${productTag}`), productTag)
      expect304(await get(one, '*'), productTag)
    })

    test('after a write: 200 with a new tag; the old tag no longer matches', async () => {
      const list = `/api/v1/products?category_id=${ids.root}`
      const cats = '/api/v1/categories?tree=true'
      const one = `/api/v1/product/${ids.p1}`
      const cat = `/api/v1/categories/${ids.leaf}`
      const old = {
        list: expect200(await get(list)),
        cats: expect200(await get(cats)),
        one: expect200(await get(one)),
        cat: expect200(await get(cat)),
      }

      // A stock change: product reads change, category reads do not (they show no product).
      expect((await t.admin('PUT', `/api/v1/product/${ids.p2}`, { stock: 7 })).status).toBe(200)
      const afterStock = await get(list, old.list)
      const stockTag = expect200(afterStock)
      expect(stockTag).not.toBe(old.list)
      expect(afterStock.body.find((p: { id: number }) => p.id === ids.p2).stock).toBe(7)
      expect304(await get(cats, old.cats), old.cats)
      expect304(await get(one, old.one), old.one)

      // A rename of the parent: the product's category, the category's path and the tree change.
      expect((await t.admin('PUT', `/api/v1/category/${ids.root}`, { name: 'Cond root renamed' })).status).toBe(200)
      expect(expect200(await get(list, stockTag))).not.toBe(stockTag)
      const tree = await get(cats, old.cats)
      expect(expect200(tree)).not.toBe(old.cats)
      expect(tree.body.find((n: { id: number }) => n.id === ids.root).name).toBe('Cond root renamed')
      const leaf = await get(cat, old.cat)
      expect(expect200(leaf)).not.toBe(old.cat)
      expect(leaf.body.path[0].name).toBe('Cond root renamed')

      // The product itself: its own change gives it a new tag.
      expect((await t.admin('PUT', `/api/v1/product/${ids.p1}`, { price: '11.00' })).status).toBe(200)
      const changed = await get(one, old.one)
      expect(expect200(changed)).not.toBe(old.one)
      expect(changed.body.price).toBe('11.00')
    })

    test('errors carry neither ETag nor Cache-Control, whatever If-None-Match says', async () => {
      for (const [path, status] of [
        ['/api/v1/product/999999', 404],
        ['/api/v1/categories/999999', 404],
        ['/api/v1/products_with_category/999999', 404],
        ['/api/v1/products?limit=1000', 422],
        ['/api/v1/categories?tree=maybe', 422],
        ['/api/v1/product/abc', 422],
      ] as const) {
        for (const inm of [undefined, '*', 'W/"x"']) {
          const r = await get(path, inm)
          expect(r.status).toBe(status)
          noTag(r)
        }
      }
      // The current tag of the listings, sent to a category that does not exist: still 404.
      const tag = expect200(await get(`/api/v1/products_with_category/${ids.root}`))
      const r = await get('/api/v1/products_with_category/999999', tag)
      expectProblem(r, 404, 'CATEGORY_NOT_FOUND')
      noTag(r)
    })

    test('a malformed If-None-Match is 400 in our words, never ignored', async () => {
      for (const inm of ['abc', 'W/abc', '"a" "b"', '*, "a"', ',', 'W/"a', '"a"b']) {
        for (const path of [`/api/v1/products`, `/api/v1/product/${ids.p1}`, '/api/v1/categories']) {
          const r = await get(path, inm)
          expectProblem(r, 400, 'INVALID_PRECONDITION')
          expect(r.body.detail).toContain('If-None-Match')
          noTag(r)
        }
      }
    })
  })
}

test('CORS: a page of another origin may send If-None-Match and read the ETag', async () => {
  const t = catalogTestApp({ corsOrigins: ['https://shop.example'] })
  const pre = await t.req('OPTIONS', '/api/v1/products', {
    headers: {
      Origin: 'https://shop.example',
      'Access-Control-Request-Method': 'GET',
      'Access-Control-Request-Headers': 'if-none-match',
    },
  })
  expect(pre.headers.get('Access-Control-Allow-Headers')).toContain('If-None-Match')
  const r = await t.req('GET', '/api/v1/products', { headers: { Origin: 'https://shop.example' } })
  expect(r.headers.get('Access-Control-Expose-Headers')).toContain('ETag')
  const again = await t.req('GET', '/api/v1/products', {
    headers: { Origin: 'https://shop.example', 'If-None-Match': r.headers.get('ETag')! },
  })
  expect(again.status).toBe(304)
  expect(again.headers.get('Access-Control-Allow-Origin')).toBe('https://shop.example')
})

conditional('memory', async () => memoryCatalogStore())
for (const db of await adapterDatabases('catalog', MIGRATIONS))
  conditional(`postgres ${db.kind}`, async () => postgresCatalogStore(await db.open()))
