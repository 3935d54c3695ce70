import { beforeAll, describe, expect, test } from 'bun:test'
import type { Sql } from '@shop/shared-kernel/postgres/connect'
import { freshSchema, sharedServerDb, useServer } from '@shop/shared-kernel/testing/databases'
import { MIGRATIONS } from '../src/main.ts'
import { postgresCatalogStore } from '../src/adapters/postgres/store.ts'
import { derivedDataErrors } from './derived.ts'
import { catalogTestApp } from './support.ts'

/**
 * Moves on the real server, through the HTTP API, as admins would do them at once: crossing
 * pairs (A under B while B moves under A), with products written into the moving subtrees at the
 * same time. Every answer is 200 or 409 (never a 500 from a deadlock), each round is over in
 * milliseconds, and the tree stays acyclic with every derived level, path and count right.
 */
const PAIRS = 20
const ROUNDS = 3

if (await useServer()) {
  describe('concurrent moves on the real server', () => {
    let sql: Sql
    let t: ReturnType<typeof catalogTestApp>
    beforeAll(async () => {
      sql = (await sharedServerDb('catalog_moves')).sql
      await freshSchema(sql, MIGRATIONS)
      t = catalogTestApp({ store: postgresCatalogStore(sql) })
    })

    const move = (id: number, parent_id: number | null) => t.admin('PUT', `/api/v1/category/${id}`, { parent_id })

    test(`${PAIRS} crossing pairs in parallel, ${ROUNDS} rounds: 200 or 409, one of each pair moved, each round under 300 ms`, async () => {
      const pairs: [number, number][] = []
      for (let i = 0; i < PAIRS; i++) {
        const a = await t.category(`Cross A${i}`)
        const b = await t.category(`Cross B${i}`)
        // each with a small subtree and products, so a move has something to carry
        const a1 = await t.category(`Cross A${i} kid`, a.id)
        await t.category(`Cross B${i} kid`, b.id)
        await t.product(`Cross product ${i}`, a1.id)
        pairs.push([a.id, b.id])
      }
      // Warm the pool (connections, prepared statements): what is timed below is the moves.
      await Promise.all(pairs.flatMap(([a, b]) => [t.req('GET', `/api/v1/category/${a}`), t.req('GET', `/api/v1/category/${b}`)]))
      for (const [a, b] of pairs.slice(0, 10)) {
        expect((await move(a, b)).status).toBe(200)
        expect((await move(a, null)).status).toBe(200)
      }
      const rounds: number[] = []
      for (let round = 0; round < ROUNDS; round++) {
        const started = performance.now()
        const answers = await Promise.all([
          ...pairs.flatMap(([a, b]) => [move(a, b), move(b, a)]),
          // product writes into the moving subtrees, at the same time
          ...pairs.slice(0, 10).map(([a], i) => t.admin('POST', '/api/v1/product', { name: `During round ${round} ${i}`, price: '2.00', category_id: a })),
        ])
        rounds.push(performance.now() - started)
        const moves = answers.slice(0, 2 * PAIRS)
        expect(moves.map((r) => r.status).filter((s) => s !== 200 && s !== 409)).toEqual([])
        for (let i = 0; i < PAIRS; i++) {
          const [ra, rb] = [moves[2 * i]!, moves[2 * i + 1]!]
          expect([ra.status, rb.status].sort()).toEqual([200, 409])
          expect((ra.status === 409 ? ra : rb).body.code).toBe('CATEGORY_CYCLE')
        }
        expect(answers.slice(2 * PAIRS).map((r) => r.status)).toEqual(Array(10).fill(201))
        expect(await derivedDataErrors(sql)).toEqual([])
        // back to roots for the next round
        for (const [a, b] of pairs) {
          expect((await move(a, null)).status).toBe(200)
          expect((await move(b, null)).status).toBe(200)
        }
      }
      console.log(`crossing moves: rounds of ${2 * PAIRS} moves and 10 product inserts took ${rounds.map((ms) => Math.round(ms)).join(', ')} ms`)
      for (const ms of rounds) expect(ms).toBeLessThan(300)
      // levels as the API shows them: a root's kid is at level 1, a moved pair's kid at level 2
      for (const [a, b] of pairs) {
        const below = await t.req('GET', `/api/v1/categories?parent_id=${a}`)
        expect(below.body.map((c: { level: number }) => c.level)).toEqual([1])
        expect((await t.req('GET', `/api/v1/category/${b}`)).body.level).toBe(0)
      }
    })

    test('nested moves in opposite directions and unrelated moves at once: all answered, none a 500', async () => {
      // A chain r0 > r1 > ... > r7; moves of each level under the next chain's leaf, and back.
      const chains: number[][] = []
      for (let c = 0; c < 4; c++) {
        const chain: number[] = []
        for (let i = 0; i < 8; i++) chain.push((await t.category(`Nest ${c}.${i}`, chain.at(-1))).id)
        chains.push(chain)
      }
      const started = performance.now()
      const answers = await Promise.all(
        chains.flatMap((chain, c) => {
          const next = chains[(c + 1) % chains.length]!
          return chain.slice(1).map((id, i) => move(id, next[7 - i]!))
        }),
      )
      const ms = performance.now() - started
      expect(answers.map((r) => r.status).filter((s) => s !== 200 && s !== 409)).toEqual([])
      expect(answers.filter((r) => r.status === 200).length).toBeGreaterThan(0)
      expect(await derivedDataErrors(sql)).toEqual([])
      console.log(`nested moves: ${answers.length} moves answered in ${Math.round(ms)} ms (${answers.filter((r) => r.status === 200).length} moved, ${answers.filter((r) => r.status === 409).length} refused)`)
    })
  })
}
