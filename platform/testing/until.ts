/**
 * Bounded polls, for tests and benchmarks: every wait for an asynchronous effect checks the effect
 * itself, first after 10 ms, then less often (× 1.5 each time, at most every 100 ms: a check is often
 * a request to the very process the test waits for, and on a busy machine checking it 100 times a
 * second slows it down), and gives up (throws `timed out: <what>`) after `ms`; none is a guessed sleep.
 */

/** Polls `fn` until it returns something truthy, and returns that. */
export async function eventually<T>(
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms
  for (let pause = 10; ; pause = Math.min(pause * 1.5, 100)) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out: ${what}`)
    await Bun.sleep(pause)
  }
}

/** Polls `cond` until it holds. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 10_000, what = 'a condition'): Promise<void> {
  await eventually(cond, what, ms)
}
