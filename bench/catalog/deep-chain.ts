/**
 * Deep chains (a script, not a test): `bun bench/catalog/deep-chain.ts`.
 *
 * The shop as real processes on the real PostgreSQL and RabbitMQ (databases shop_deepchain_*,
 * created afresh). Through the HTTP API, as an admin:
 *  1. creates chains of 1,000, 2,000 and 5,000 categories (each under the one before), one
 *     request each, timed: linear in the length means the same time per category for all three;
 *  2. moves the top of each chain under another root and back, timed (the whole chain moves);
 *  3. times pages of the 5,000-level chain, flat (first, middle and last pages, of the whole
 *     catalog and of the chain's subtree) and as a tree (bounded in depth), BENCH_SAMPLES each:
 *     every page should be served within 20 ms; and one category, whose answer holds its whole
 *     path (5,000 ancestors: O(depth) by contract, reported beside);
 *  4. sends ten of the slowest listing requests in parallel, again and again, and meanwhile
 *     times `GET /api/v1/product/{id}`: the product read should not be delayed by more than
 *     100 ms (p99 against the same read alone).
 * Prints the figures and writes bench/results/deep-chain.json.
 */
import { api } from '@shop/platform/testing/client'
import { machineLoad, percentiles, writeResult } from '../lib/measure.ts'
import { adminToken, must, startShop } from '../lib/shop.ts'

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 50)
const CHAINS = (process.env.BENCH_CHAINS ?? '1000,2000,5000').split(',').map(Number)
const say = (s: string) => process.stdout.write(`bench/deep-chain: ${s}\n`)
const ms = (t: number) => Math.round(t * 10) / 10

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t = performance.now()
  const value = await f()
  return { value, ms: performance.now() - t }
}

async function main() {
  const shop = await startShop({ name: 'deepchain', env: { catalog: { LOG_LEVEL: 'warn' } } })
  try {
    const base = shop.catalog.url
    const token = await adminToken(shop)
    // the admin reaches the catalog by event
    for (let i = 0; ; i++) {
      const r = await api(base, 'DELETE', '/api/v1/category/999999999', { token })
      if (r.status === 404) break
      if (i > 600) throw new Error(`the admin never reached the catalog: ${r.status}`)
      await Bun.sleep(100)
    }
    const create = (name: string, parent_id: number | null) =>
      must(api(base, 'POST', '/api/v1/category', { token, body: { name, parent_id } }), 201, `create ${name}`)

    // 1. creating chains
    const created: { length: number; top: number; bottom: number; ms: number; ms_per_category: number }[] = []
    for (const length of CHAINS) {
      const t = performance.now()
      const top = (await create(`chain-${length}`, null)).body.id as number
      let parent = top
      for (let i = 1; i < length; i++) parent = (await create(`c${i}`, parent)).body.id as number
      const took = performance.now() - t
      created.push({ length, top, bottom: parent, ms: Math.round(took), ms_per_category: ms(took / length) })
      say(`created a chain of ${length} in ${Math.round(took)} ms (${ms(took / length)} ms per category)`)
    }

    // 2. moving chains (the whole chain under another root, and back)
    const elsewhere = (await create('elsewhere', null)).body.id as number
    const moved: { length: number; there_ms: number; back_ms: number }[] = []
    for (const c of created) {
      const move = (parent_id: number | null) =>
        must(api(base, 'PUT', `/api/v1/category/${c.top}`, { token, body: { parent_id } }), 200, 'move')
      const there = await timed(() => move(elsewhere))
      const back = await timed(() => move(null))
      moved.push({ length: c.length, there_ms: Math.round(there.ms), back_ms: Math.round(back.ms) })
      say(`moved the chain of ${c.length}: ${Math.round(there.ms)} ms there, ${Math.round(back.ms)} ms back`)
    }

    // A product, for step 4, in the deepest category of the longest chain.
    const deepest = created.at(-1)!
    const product = await must(
      api(base, 'POST', '/api/v1/product', {
        token,
        body: { name: 'Deep product', price: '9.99', category_id: deepest.bottom, stock: 5 },
      }),
      201,
      'product',
    )

    // 3. pages
    const [all] = [Number((await api(base, 'GET', '/api/v1/categories?limit=1')).headers.get('X-Total-Count'))]
    const L = deepest.length
    const pages = [
      { what: 'flat, limit=1', path: '/api/v1/categories?limit=1' },
      { what: 'flat, first page (limit=50)', path: '/api/v1/categories?limit=50' },
      { what: 'flat, middle page', path: `/api/v1/categories?limit=50&offset=${Math.floor(all / 2)}` },
      { what: 'flat, last page', path: `/api/v1/categories?limit=50&offset=${all - 50}` },
      { what: `chain subtree, first page`, path: `/api/v1/categories?parent_id=${deepest.top}&limit=50` },
      {
        what: `chain subtree, last page`,
        path: `/api/v1/categories?parent_id=${deepest.top}&limit=50&offset=${L - 51}`,
      },
      { what: 'tree of everything (depth 100)', path: '/api/v1/categories?tree=true&limit=50' },
      { what: 'tree of the chain (depth 100)', path: `/api/v1/categories/tree?parent_id=${deepest.top}` },
      { what: 'one category (its 5,000-long path)', path: `/api/v1/categories/${deepest.bottom}` },
    ]
    const served: Record<string, ReturnType<typeof percentiles> & { path: string; items: number }> = {}
    for (const p of pages) {
      const first = await must(api(base, 'GET', p.path), 200, p.path)
      const items = Array.isArray(first.body) ? first.body.length : 1
      const samples: number[] = []
      for (let i = 0; i < SAMPLES; i++)
        samples.push((await timed(() => fetch(`${base}${p.path}`).then((r) => r.text()))).ms)
      served[p.what] = { ...percentiles(samples), path: p.path, items }
      const s = served[p.what]!
      say(`${p.what}: p50 ${s.p50} ms, p99 ${s.p99} ms, max ${s.max} ms (${items} items) ${p.path}`)
    }

    // 4. ten of the slowest in parallel, a product read meanwhile
    // the slowest listing (flat or tree): one category's answer holds its whole path, O(depth) by contract
    const listings = Object.entries(served).filter(([what]) => !what.startsWith('one category'))
    const slowest = listings.sort((a, b) => b[1].p50 - a[1].p50)[0]!
    const productPath = `/api/v1/product/${product.body.id}`
    const read = () => timed(() => fetch(`${base}${productPath}`).then((r) => r.text()))
    const alone: number[] = []
    for (let i = 0; i < SAMPLES; i++) alone.push((await read()).ms)
    let running = true
    const slow = Array.from({ length: 10 }, async () => {
      let n = 0
      while (running) {
        await fetch(`${base}${slowest[1].path}`).then((r) => r.text())
        n++
      }
      return n
    })
    await Bun.sleep(200)
    const during: number[] = []
    for (let i = 0; i < SAMPLES; i++) {
      during.push((await read()).ms)
      await Bun.sleep(20)
    }
    running = false
    const slowDone = (await Promise.all(slow)).reduce((a, b) => a + b, 0)
    const a = percentiles(alone)
    const d = percentiles(during)
    say(
      `product read alone: p50 ${a.p50} ms, p99 ${a.p99} ms; with ten "${slowest[0]}" in parallel ` +
        `(${slowDone} served meanwhile): p50 ${d.p50} ms, p99 ${d.p99} ms, max ${d.max} ms; ` +
        `delay at p99 ${ms(d.p99 - a.p99)} ms`,
    )

    const load = await machineLoad()
    const perCategory = created.map((c) => c.ms_per_category)
    const result = {
      when: new Date().toISOString(),
      machine_load: load,
      samples: SAMPLES,
      categories_in_catalog: all,
      created,
      linear_ratio_ms_per_category_longest_over_shortest: ms(perCategory.at(-1)! / perCategory[0]!),
      moved,
      pages: served,
      every_listing_page_p99_within_20ms: listings.every(([, s]) => s.p99 <= 20),
      every_listing_page_p50_within_20ms: listings.every(([, s]) => s.p50 <= 20),
      parallel: {
        slow_request: slowest[1].path,
        slow_served_meanwhile: slowDone,
        product_read_alone: a,
        product_read_during: d,
        delay_p99_ms: ms(d.p99 - a.p99),
        within_100ms: d.p99 - a.p99 <= 100,
      },
    }
    say(`wrote ${writeResult('deep-chain', result)}`)
    say(
      `summary: ms per category created ${perCategory.join(' / ')} for ${CHAINS.join(' / ')}; ` +
        `listing pages p50 max ${Math.max(...listings.map(([, s]) => s.p50))} ms, ` +
        `p99 max ${Math.max(...listings.map(([, s]) => s.p99))} ms; ` +
        `product read delayed ${result.parallel.delay_p99_ms} ms at p99; load ${JSON.stringify(load)}`,
    )
  } finally {
    await shop.stop()
  }
}

await main()
