/**
 * Ceiling: primary-key selects through postgres.js in-process, with `callers` concurrent callers
 * sharing one pool of `pool` connections (the services' DATABASE_POOL_MAX). Prints one JSON line.
 *   bun bench/ceilings/pg.ts <database url> [callers=32] [pool=10] [seconds=10] [maxId=100000]
 */
import postgres from 'postgres'
import { productColumns } from '../../catalog/src/adapters/postgres/rows.ts'
import { closedLoop } from './closed-loop.ts'

async function pgCeiling(url: string, callers: number, pool: number, seconds: number, maxId: number) {
  const sql = postgres(url, { max: pool, onnotice: () => {} })
  try {
    const columns = productColumns.of(sql)
    const one = (id: number) => sql`select ${columns} from products where id = ${id}`
    for (let i = 0; i < pool * 4; i++) await one(1 + i)
    let next = 0
    const run = await closedLoop(callers, seconds, async () => {
      await one(1 + (next++ % maxId))
    })
    return {
      callers,
      pool,
      queries: run.done,
      seconds: run.seconds,
      queries_per_second: Math.round(run.perSecond),
      p50_ms: run.p50_ms,
      p99_ms: run.p99_ms,
    }
  } finally {
    await sql.end()
  }
}

if (import.meta.main) {
  const [url, callers = '32', pool = '10', seconds = '10', maxId = '100000'] = process.argv.slice(2)
  if (!url) throw new Error('usage: bun bench/ceilings/pg.ts <database url> [callers] [pool] [seconds] [maxId]')
  console.log(JSON.stringify(await pgCeiling(url, Number(callers), Number(pool), Number(seconds), Number(maxId))))
}
