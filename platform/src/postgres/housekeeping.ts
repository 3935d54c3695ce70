import type { Logger } from '../log.ts'
import type { Sql } from './connect.ts'
import { pruneInbox } from './inbox.ts'
import { pruneOutbox } from './relay.ts'

export interface HousekeepingOptions {
  /** How often it runs; the first run is at start. */
  readonly everyMs?: number
  /** Published outbox rows are kept this long (for inspection), then deleted. */
  readonly outboxHours?: number
  /** Processed event ids are kept this long (the redelivery window), then deleted. */
  readonly inboxHours?: number
}

export interface Housekeeping {
  /** Runs once now (tests); resolves when done. Failures are logged, never thrown. */
  runOnce(): Promise<void>
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>
}

/**
 * The messaging tables' upkeep, beside the relay and the consumers rather than inside them: every
 * `everyMs` (a minute), sent outbox rows older than a day and inbox rows older than a week are
 * deleted. A failed run (database down) is logged and tried again at the next tick.
 */
export function startHousekeeping(sql: Sql, log: Logger, o: HousekeepingOptions = {}): Housekeeping {
  const everyMs = o.everyMs ?? 60_000
  const outboxHours = o.outboxHours ?? 24
  const inboxHours = o.inboxHours ?? 24 * 7
  let running: Promise<void> | undefined
  const runOnce = () =>
    (running ??= (async () => {
      try {
        const outbox = await pruneOutbox(sql, outboxHours)
        const inbox = await pruneInbox(sql, inboxHours)
        if (outbox || inbox) log.debug('housekeeping: pruned', { outbox, inbox })
      } catch (e) {
        log.warn('housekeeping failed; will retry', { error: (e as Error).message })
      } finally {
        running = undefined
      }
    })())
  void runOnce()
  const timer = setInterval(() => void runOnce(), everyMs)
  timer.unref?.()
  return {
    runOnce,
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}
