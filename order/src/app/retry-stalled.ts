import { ok } from '@shop/kernel/result'
import { RESERVATION_TIMEOUT, onUnanswered } from '../domain/reservation.ts'
import type { OrderDeps } from '../ports.ts'
import { moveBySystem } from './support/status-change.ts'
import { requestStock } from './support/stock.ts'

export interface PendingPolicy {
  /** A request unanswered this long since it was last sent is sent again (ORDER_PENDING_TIMEOUT_SECONDS). */
  readonly timeoutSeconds: number
  /** After this many sends the order is rejected instead (ORDER_PENDING_MAX_ATTEMPTS). */
  readonly maxAttempts: number
}

export type StalledOutcome = 'resent' | 'timed_out' | 'skipped'

/**
 * The saga never strands an order: each pending order whose stock request went unanswered for
 * the timeout has its order.placed published again, the very envelope it was (same event id: the
 * catalog's inbox makes it take effect at most once); once it was sent `maxAttempts` times, the
 * order is rejected with the reason `reservation_timeout`. One transaction per order, the order
 * locked first (as the stock answers lock it) and its request skipped when another instance holds
 * it, so instances sharing the work never handle one twice.
 */
export async function retryStalled(
  { store, clock }: OrderDeps,
  policy: PendingPolicy,
  limit = 100,
): Promise<StalledOutcome[]> {
  const outcomes: StalledOutcome[] = []
  for (const orderId of await store.stalledRequests(policy.timeoutSeconds, limit)) {
    const r = await store.transact(async (tx) => {
      const order = await tx.orders.byId(orderId, true)
      // Still unanswered once the order is locked (an answer may have been applied meanwhile).
      const request = await tx.reservations.stale(orderId, policy.timeoutSeconds)
      if (order?.status !== 'pending' || !request) return ok<StalledOutcome>('skipped')
      if (onUnanswered(request, policy.maxAttempts) === 'time_out') {
        await moveBySystem(tx, order, 'rejected', clock.now(), null, { reason: RESERVATION_TIMEOUT, productIds: null })
        // Entering rejected forgets the request (the status table: the saga is over). This one
        // may still be answered: its record stays, so that answer is released or dropped.
        await tx.reservations.put(request)
        return ok<StalledOutcome>('timed_out')
      }
      const sent = request.requestId ? await tx.events.again(request.requestId) : false
      if (sent) await tx.reservations.resent(orderId)
      // No longer in the outbox (pruned): asked afresh, a new event the catalog answers as a repeat.
      else await requestStock(tx, order, null)
      return ok<StalledOutcome>('resent')
    })
    outcomes.push(r.ok ? r.value : 'skipped')
  }
  return outcomes
}
