import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { useServer } from '@shop/platform/testing/databases'
import { derivedDataErrors } from '../../catalog/test/derived.ts'
import { type MovesCatalog, movesCatalog } from './crossing-moves.ts'
import { repoId } from './harness.ts'

/**
 * Crossing moves on the real PostgreSQL through the real HTTP server (catalog as its own process,
 * tests/integration/crossing-moves.ts): each round sends, all at once, 20 pairs of moves that would
 * make a cycle if both succeeded. Every answer is 200 or 409 (never a 500 from a deadlock), exactly
 * one move of each pair succeeds, PostgreSQL counts no deadlock (pg_stat_database), and afterwards
 * the tree is acyclic with the paths, levels and counts the adjacency list gives (recomputed by a
 * recursive CTE). How long a round takes is bench/timings/crossing-moves.ts's business (make bench).
 * In CI a missing PostgreSQL fails the file (useServer); elsewhere it is skipped.
 */
const run = await useServer()
const ROUNDS = 5
const PAIRS = 20

describe.skipIf(!run)('crossing category moves on the real server', () => {
  let catalog: MovesCatalog

  beforeAll(async () => {
    catalog = await movesCatalog(`shop_it_moves_${repoId}`)
  }, 60_000)

  afterAll(async () => {
    await catalog?.stop()
  })

  test(`${ROUNDS} rounds of ${PAIRS} pairs of crossing moves: 200 or 409 only, ` +
    'one move per pair, no deadlock, the tree right after', async () => {
    const deadlocks = await catalog.deadlocks()
    await catalog.cross(ROUNDS, PAIRS, async (answers) => {
      const statuses = answers.map((r) => r.status)
      const unexpected = answers.filter((r) => r.status !== 200 && r.status !== 409)
      expect(unexpected.map((r) => `${r.status} ${JSON.stringify(r.body)}`)).toEqual([])
      for (const r of answers) if (r.status === 409) expect(r.body.code).toBe('CATEGORY_CYCLE')
      // Exactly one of each pair moved: the other would have closed a cycle.
      for (let i = 0; i < PAIRS; i++) expect([statuses[2 * i], statuses[2 * i + 1]].sort()).toEqual([200, 409])
      expect(await derivedDataErrors(catalog.sql as never)).toEqual([])
    })
    expect(await catalog.deadlocks()).toBe(deadlocks)

    // The tree, recomputed from the adjacency list alone, matches what the service stored.
    const [tree] = await catalog.sql<{ categories: number; reached: number; wrong: number }[]>`
      with recursive t as (
        select id, array[id] as path from categories where parent_id is null
        union all
        select c.id, t.path || c.id from categories c join t on c.parent_id = t.id where not c.id = any(t.path)
      )
      select (select count(*)::int from categories) as categories, (select count(*)::int from t) as reached,
             (select count(*)::int from categories c join t on t.id = c.id where c.department <> t.path[1]
               or c.level <> cardinality(t.path) - 1) as wrong`
    expect(tree).toEqual({ categories: 4 + ROUNDS * PAIRS * 6, reached: 4 + ROUNDS * PAIRS * 6, wrong: 0 })
  }, 120_000)
})
