import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import postgres from 'postgres'
import { serverUrl, useServer } from '@shop/platform/testing/databases'
import { tokenFactory } from '@shop/platform/testing/http'
import { derivedDataErrors } from '../../catalog/test/derived.ts'
import { SECRET, Service, checkout } from './harness.ts'
import { TEST_EVENT_KEYS } from '@shop/platform/testing/event-keys'

/**
 * Crossing moves on the real PostgreSQL through the real HTTP server (catalog as its own process):
 * each round sends, all at once, 20 pairs of moves that would make a cycle if both succeeded
 * (A under B while B under A, in two different departments, and nested: A under a grandchild
 * of B while B moves under a grandchild of A). Every answer is 200 or 409 (never a 500 from a
 * deadlock), exactly one move of each pair succeeds, each round is answered within 300 ms
 * (issue 11 asks exactly this; the round times are printed), and afterwards the tree is acyclic
 * with the paths, levels and counts the adjacency list gives (recomputed by a recursive CTE).
 * In CI a missing PostgreSQL fails the file (useServer); elsewhere it is skipped.
 */
const run = await useServer()
const ROUNDS = 5
const PAIRS = 20
const ROUND_LIMIT_MS = 300
const DB = `shop_it_moves_${checkout}`
const dbUrl = () => {
  const u = new URL(serverUrl())
  u.pathname = `/${DB}`
  return u.toString()
}

describe.skipIf(!run)('crossing category moves on the real server', () => {
  let catalog: Service
  let sql: ReturnType<typeof postgres>
  const token = tokenFactory(SECRET).valid({ id: crypto.randomUUID(), username: 'mover', role: 'ADMIN' })
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${catalog.url}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${await token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    return { status: r.status, body: (await r.json()) as any }
  }
  const category = async (name: string, parent_id?: number): Promise<number> => {
    const r = await call('POST', '/api/v1/category', { name, ...(parent_id ? { parent_id } : {}) })
    if (r.status !== 201) throw new Error(`POST /category ${name}: ${r.status} ${JSON.stringify(r.body)}`)
    return r.body.id
  }
  const product = async (name: string, category_id: number) => {
    const r = await call('POST', '/api/v1/product', { name, price: '5.00', category_id })
    if (r.status !== 201) throw new Error(`POST /product ${name}: ${r.status} ${JSON.stringify(r.body)}`)
  }

  beforeAll(async () => {
    const admin = postgres(serverUrl(), { max: 1, onnotice: () => {} })
    try {
      await admin`drop database if exists ${admin(DB)} with (force)`
      await admin`create database ${admin(DB)}`
    } finally {
      await admin.end()
    }
    catalog = new Service('catalog', {
      JWT_SECRET: SECRET,
      ...TEST_EVENT_KEYS.env('catalog'),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DATABASE_URL: dbUrl(),
      DATABASE_POOL_MAX: '10',
    })
    await catalog.start()
    sql = postgres(dbUrl(), { max: 2, onnotice: () => {} })
  }, 60_000)

  afterAll(async () => {
    await sql?.end()
    await catalog?.stop()
    const admin = postgres(serverUrl(), { max: 1, onnotice: () => {} })
    await admin`drop database if exists ${admin(DB)} with (force)`.catch(() => {})
    await admin.end()
  })

  test(`${ROUNDS} rounds of ${PAIRS} pairs of crossing moves: 200 or 409 only, ` +
    `one move per pair, each round within ${ROUND_LIMIT_MS} ms, the tree right after`, async () => {
    // Four departments, each with a few categories and products, so moves carry products along.
    const departments: number[] = []
    for (let d = 0; d < 4; d++) departments.push(await category(`Department ${d}`))
    const times: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      // 20 pairs of subtrees of 3 levels (x, x/1, x/1/2), the two of a pair in different departments;
      // the first half crosses at the top (A under B, B under A), the second half nested (A under
      // B's grandchild, B under A's grandchild).
      const pairs: { a: number[]; b: number[]; nested: boolean }[] = []
      for (let i = 0; i < PAIRS; i++) {
        const make = async (side: string, department: number) => {
          const top = await category(`r${round} p${i} ${side}`, department)
          const child = await category(`${side} child`, top)
          const grandchild = await category(`${side} grandchild`, child)
          await product(`r${round} p${i} ${side} item`, grandchild)
          return [top, child, grandchild]
        }
        pairs.push({
          a: await make('A', departments[i % 4]!),
          b: await make('B', departments[(i + 1) % 4]!),
          nested: i >= PAIRS / 2,
        })
      }
      const moves = pairs.flatMap(({ a, b, nested }) => [
        { id: a[0]!, name: `r${round} ${a[0]}`, to: nested ? b[2]! : b[0]! },
        { id: b[0]!, name: `r${round} ${b[0]}`, to: nested ? a[2]! : a[0]! },
      ])
      const t = performance.now()
      const answers = await Promise.all(
        moves.map((m) => call('PUT', `/api/v1/category/${m.id}`, { name: m.name, parent_id: m.to })),
      )
      times.push(Math.round((performance.now() - t) * 10) / 10)

      const statuses = answers.map((r) => r.status)
      const unexpected = answers.filter((r) => r.status !== 200 && r.status !== 409)
      expect(unexpected.map((r) => `${r.status} ${JSON.stringify(r.body)}`)).toEqual([])
      for (const r of answers) if (r.status === 409) expect(r.body.code).toBe('CATEGORY_CYCLE')
      // Exactly one of each pair moved: the other would have closed a cycle.
      for (let i = 0; i < PAIRS; i++) expect([statuses[2 * i], statuses[2 * i + 1]].sort()).toEqual([200, 409])
      expect(await derivedDataErrors(sql as never)).toEqual([])
    }
    console.log(
      `crossing moves, ${PAIRS} pairs (${2 * PAIRS} PUTs at once) per round, round times (ms): ${times.join(', ')}`,
    )

    // The tree, recomputed from the adjacency list alone, matches what the service stored.
    const [tree] = await sql<{ categories: number; reached: number; wrong: number }[]>`
      with recursive t as (
        select id, array[id] as path from categories where parent_id is null
        union all
        select c.id, t.path || c.id from categories c join t on c.parent_id = t.id where not c.id = any(t.path)
      )
      select (select count(*)::int from categories) as categories, (select count(*)::int from t) as reached,
             (select count(*)::int from categories c join t on t.id = c.id where c.department <> t.path[1]
               or c.level <> cardinality(t.path) - 1) as wrong`
    expect(tree).toEqual({ categories: 4 + ROUNDS * PAIRS * 6, reached: 4 + ROUNDS * PAIRS * 6, wrong: 0 })
    for (const ms of times) expect(ms).toBeLessThan(ROUND_LIMIT_MS)
  }, 120_000)
})
