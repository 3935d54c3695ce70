import type { Bus, OutgoingEvent, Subscription } from '../src/bus/bus.ts'
import type { Envelope } from '@shop/kernel/events'
import type { Sql } from '../src/postgres/connect.ts'
import { transact } from '../src/postgres/transact.ts'
import { ok } from '@shop/kernel/result'

/** What the relay tests (platform/test/relay.test.ts) and bench/timings/relay.ts both drive the relay with. */

/**
 * A bus the test can take down: publish and ping throw while down. Records what it was given, and
 * what the relay asked of it in order (`calls`: publish or ping, up or down).
 */
export class FlakyBus implements Bus {
  down = false
  readonly got: Envelope[] = []
  readonly sent: OutgoingEvent[] = []
  readonly calls: string[] = []
  async publish(events: readonly OutgoingEvent[]) {
    this.calls.push(this.down ? 'publish:down' : 'publish:up')
    if (this.down) throw new Error('broker down')
    this.got.push(...events.map((e) => e.envelope))
    this.sent.push(...events)
  }
  async subscribe(_s: Subscription) {}
  async stopConsuming() {}
  async ping() {
    this.calls.push(this.down ? 'ping:down' : 'ping:up')
    if (this.down) throw new Error('down')
  }
  async close() {}
}

/** `n` user.deleted events written in one transaction (auth's outbox); `onEvents` after its commit. */
export const writeEvents = (sql: Sql, n: number, onEvents?: () => void) =>
  transact(
    sql,
    { source: 'auth', ...(onEvents ? { onEvents } : {}) },
    (_tx, events) => events,
    async (events) => {
      for (let i = 0; i < n; i++) {
        await events.add({ type: 'user.deleted', data: { id: crypto.randomUUID(), version: 1 } }, 'corr')
      }
      return ok(null)
    },
  )
