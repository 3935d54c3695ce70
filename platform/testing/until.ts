/**
 * Bounded polls, for tests and benchmarks: every wait for an asynchronous effect checks the effect
 * itself every 10 ms, and gives up (throws `timed out: <what>`) after `ms`; none is a guessed sleep.
 */

/** Polls `fn` until it returns something truthy, and returns that. */
export async function eventually<T>(
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out: ${what}`)
    await Bun.sleep(10)
  }
}

/** Polls `cond` until it holds. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 10_000, what = 'a condition'): Promise<void> {
  await eventually(cond, what, ms)
}
