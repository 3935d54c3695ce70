/**
 * How long a round of crossing category moves takes (issue 11 asked for each round within 300 ms):
 * the scenario of tests/integration/catalog-moves.test.ts (tests/integration/crossing-moves.ts),
 * timed here rather than asserted there, since a wall-clock limit in `make test` fails on a busy
 * machine. Prints each round's time (ms) and how many were within 300 ms.
 *
 *   bun bench/timings/crossing-moves.ts [--rounds 5] [--pairs 20]
 */
import { parseArgs } from 'node:util'
import { movesCatalog } from '../../tests/integration/crossing-moves.ts'

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, pairs: { type: 'string', default: '20' } },
})
const rounds = Number(values.rounds)
const pairs = Number(values.pairs)
const catalog = await movesCatalog('shop_bench_timings_moves')
const times: number[] = []
let unexpected = 0
try {
  const deadlocks = await catalog.deadlocks()
  await catalog.cross(rounds, pairs, async (answers, ms) => {
    times.push(ms)
    unexpected += answers.filter((a) => a.status !== 200 && a.status !== 409).length
  })
  const within = times.filter((t) => t < 300).length
  console.log(`crossing moves, ${pairs} pairs (${2 * pairs} PUTs at once) per round`)
  console.log(`  round times (ms): ${times.join(', ')}`)
  console.log(`  within 300 ms: ${within} of ${times.length}; answers other than 200/409: ${unexpected}`)
  console.log(`  deadlocks counted by PostgreSQL: ${(await catalog.deadlocks()) - deadlocks}`)
} finally {
  await catalog.stop()
}
