/**
 * Ceiling: primary-key selects through postgres.js in-process, with `callers` concurrent callers
 * sharing one pool of `pool` connections (the services' DATABASE_POOL_MAX). Prints one JSON line.
 *   bun bench/ceilings/pg.ts <database url> [callers=32] [pool=10] [seconds=10] [maxId=100000]
 */
import postgres from 'postgres'

export async function pgCeiling(url: string, callers: number, pool: number, seconds: number, maxId: number) {
  const sql = postgres(url, { max: pool, onnotice: () => {} })
  try {
    const one = (id: number) => sql`select id, name, description, price, stock, category_id, created_at, updated_at from products where id = ${id}`
    for (let i = 0; i < pool * 4; i++) await one(1 + i)
    let done = 0
    const latencies: number[] = []
    const until = performance.now() + seconds * 1000
    const t0 = performance.now()
    let next = 0
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (performance.now() < until) {
          const t = performance.now()
          await one(1 + (next++ % maxId))
          latencies.push(performance.now() - t)
          done++
        }
      }),
    )
    const elapsed = (performance.now() - t0) / 1000
    latencies.sort((a, b) => a - b)
    const r = (x: number) => Math.round(x * 100) / 100
    return {
      callers,
      pool,
      queries: done,
      seconds: r(elapsed),
      queries_per_second: Math.round(done / elapsed),
      p50_ms: r(latencies[Math.floor(latencies.length / 2)]!),
      p99_ms: r(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))]!),
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
