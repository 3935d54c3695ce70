/**
 * Waits until `cond` holds, checking every 2 ms (tests that measure how soon something happens
 * need the short period); throws `timed out` after `ms`.
 */
export async function until(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out')
    await Bun.sleep(2)
  }
}
