/**
 * Ceiling: bcrypt verifications per second with @node-rs/bcrypt `verify` (what auth's login runs),
 * at a given cost, with `concurrency` calls in flight at once (a login service under wrk has as
 * many in flight as wrk has connections). Prints one JSON line.
 *   bun bench/ceilings/bcrypt.ts [cost=10] [concurrency=32] [seconds=10]
 */
import { hash, verify } from '@node-rs/bcrypt'
import { closedLoop, round2 } from './closed-loop.ts'

async function bcryptCeiling(cost: number, concurrency: number, seconds: number) {
  const password = 'password-0-bench'
  const h = await hash(password, { cost })
  for (let i = 0; i < 4; i++) if (!(await verify(password, h))) throw new Error('bcrypt verify failed')
  const run = await closedLoop(concurrency, seconds, async () => {
    if (!(await verify(password, h))) throw new Error('bcrypt verify failed')
  })
  return {
    cost,
    concurrency,
    verifications: run.done,
    seconds: run.seconds,
    verifications_per_second: round2(run.perSecond),
    p50_ms: run.p50_ms,
    p99_ms: run.p99_ms,
  }
}

if (import.meta.main) {
  const [cost = '10', concurrency = '32', seconds = '10'] = process.argv.slice(2)
  console.log(JSON.stringify(await bcryptCeiling(Number(cost), Number(concurrency), Number(seconds))))
}
