/**
 * Ceiling: bcrypt verifications per second with @node-rs/bcrypt `verify` (what auth's login runs),
 * at a given cost, with `concurrency` calls in flight at once (a login service under wrk has as
 * many in flight as wrk has connections). Prints one JSON line.
 *   bun bench/ceilings/bcrypt.ts [cost=10] [concurrency=32] [seconds=10]
 */
import { hash, verify } from '@node-rs/bcrypt'

export async function bcryptCeiling(cost: number, concurrency: number, seconds: number) {
  const password = 'password-0-bench'
  const h = await hash(password, { cost })
  for (let i = 0; i < 4; i++) if (!(await verify(password, h))) throw new Error('bcrypt verify failed')
  let done = 0
  const latencies: number[] = []
  const until = performance.now() + seconds * 1000
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const t = performance.now()
        if (!(await verify(password, h))) throw new Error('bcrypt verify failed')
        latencies.push(performance.now() - t)
        done++
      }
    }),
  )
  const elapsed = (performance.now() - t0) / 1000
  latencies.sort((a, b) => a - b)
  const r = (x: number) => Math.round(x * 100) / 100
  return {
    cost,
    concurrency,
    verifications: done,
    seconds: r(elapsed),
    verifications_per_second: r(done / elapsed),
    p50_ms: r(latencies[Math.floor(latencies.length / 2)]!),
    p99_ms: r(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))]!),
  }
}

if (import.meta.main) {
  const [cost = '10', concurrency = '32', seconds = '10'] = process.argv.slice(2)
  console.log(JSON.stringify(await bcryptCeiling(Number(cost), Number(concurrency), Number(seconds))))
}
