import postgres from 'postgres'
import { serverUrl } from '@shop/platform/testing/databases'
import { tokenFactory } from '@shop/platform/testing/http'
import { TEST_EVENT_KEYS } from '@shop/platform/testing/event-keys'
import { SECRET, Service } from './harness.ts'

/**
 * The crossing moves of issue 11, shared by tests/integration/catalog-moves.test.ts (what the
 * answers and the tree must be) and bench/timings/crossing-moves.ts (how long each round takes):
 * a catalog process of its own on a database of its own, and rounds of pairs of moves that would
 * make a cycle if both succeeded (A under B while B under A, in two different departments; the
 * second half nested: A under a grandchild of B while B moves under a grandchild of A), each
 * round's PUTs sent all at once.
 */
export interface Answer {
  readonly status: number
  readonly body: any
}

export interface MovesCatalog {
  readonly sql: ReturnType<typeof postgres>
  /** Deadlocks PostgreSQL has counted in this database (pg_stat_database). */
  deadlocks(): Promise<number>
  /** Four departments, then `rounds` rounds of `pairs` crossing pairs; `round` sees each round's answers in order. */
  cross(rounds: number, pairs: number, round: (answers: Answer[], ms: number) => Promise<void>): Promise<void>
  stop(): Promise<void>
}

export async function movesCatalog(db: string): Promise<MovesCatalog> {
  const url = Object.assign(new URL(serverUrl()), { pathname: `/${db}` }).toString()
  const admin = postgres(serverUrl(), { max: 1, onnotice: () => {} })
  try {
    await admin`drop database if exists ${admin(db)} with (force)`
    await admin`create database ${admin(db)}`
  } finally {
    await admin.end()
  }
  const catalog = new Service('catalog', {
    JWT_SECRET: SECRET,
    ...TEST_EVENT_KEYS.env('catalog'),
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    DATABASE_URL: url,
    DATABASE_POOL_MAX: '10',
  })
  await catalog.start()
  const sql = postgres(url, { max: 2, onnotice: () => {} })
  const token = await tokenFactory(SECRET).valid({ id: crypto.randomUUID(), username: 'mover', role: 'ADMIN' })
  const call = async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const r = await fetch(`${catalog.url}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    return { status: r.status, body: (await r.json()) as any }
  }
  const created = async (what: string, path: string, body: unknown): Promise<number> => {
    const r = await call('POST', path, body)
    if (r.status !== 201) throw new Error(`POST ${path} ${what}: ${r.status} ${JSON.stringify(r.body)}`)
    return r.body.id
  }
  const category = (name: string, parent_id?: number) =>
    created(name, '/api/v1/category', { name, ...(parent_id ? { parent_id } : {}) })
  return {
    sql,
    async deadlocks() {
      const [row] = await sql<{ n: number }[]>`
        select deadlocks::int as n from pg_stat_database where datname = current_database()`
      return row?.n ?? 0
    },
    async cross(rounds, pairs, round) {
      // Four departments, each with a few categories and products, so moves carry products along.
      const departments: number[] = []
      for (let d = 0; d < 4; d++) departments.push(await category(`Department ${d}`))
      for (let r = 0; r < rounds; r++) {
        // pairs of subtrees of 3 levels (x, x/1, x/1/2), the two of a pair in different departments
        const made: { a: number[]; b: number[]; nested: boolean }[] = []
        for (let i = 0; i < pairs; i++) {
          const make = async (side: string, department: number) => {
            const top = await category(`r${r} p${i} ${side}`, department)
            const child = await category(`${side} child`, top)
            const grandchild = await category(`${side} grandchild`, child)
            await created(side, '/api/v1/product', {
              name: `r${r} p${i} ${side} item`,
              price: '5.00',
              category_id: grandchild,
            })
            return [top, child, grandchild]
          }
          made.push({
            a: await make('A', departments[i % 4]!),
            b: await make('B', departments[(i + 1) % 4]!),
            nested: i >= pairs / 2,
          })
        }
        const moves = made.flatMap(({ a, b, nested }) => [
          { id: a[0]!, name: `r${r} ${a[0]}`, to: nested ? b[2]! : b[0]! },
          { id: b[0]!, name: `r${r} ${b[0]}`, to: nested ? a[2]! : a[0]! },
        ])
        const t = performance.now()
        const answers = await Promise.all(
          moves.map((m) => call('PUT', `/api/v1/category/${m.id}`, { name: m.name, parent_id: m.to })),
        )
        await round(answers, Math.round((performance.now() - t) * 10) / 10)
      }
    },
    async stop() {
      await sql.end()
      await catalog.stop()
      const admin = postgres(serverUrl(), { max: 1, onnotice: () => {} })
      await admin`drop database if exists ${admin(db)} with (force)`.catch(() => {})
      await admin.end()
    },
  }
}
