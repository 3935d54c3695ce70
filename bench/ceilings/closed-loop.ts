/**
 * The closed loop both in-process ceilings run: `callers` concurrent callers each calling `one`
 * back to back for `seconds`. Returns how many calls completed, over how long, and their latency
 * percentiles (ms, two decimals).
 */
export async function closedLoop(callers: number, seconds: number, one: () => Promise<void>) {
  let done = 0
  const latencies: number[] = []
  const until = performance.now() + seconds * 1000
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < until) {
        const t = performance.now()
        await one()
        latencies.push(performance.now() - t)
        done++
      }
    }),
  )
  const elapsed = (performance.now() - t0) / 1000
  latencies.sort((a, b) => a - b)
  return {
    done,
    seconds: round2(elapsed),
    perSecond: done / elapsed,
    p50_ms: round2(latencies[Math.floor(latencies.length / 2)]!),
    p99_ms: round2(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))]!),
  }
}

export const round2 = (x: number) => Math.round(x * 100) / 100
