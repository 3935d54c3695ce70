import { AsyncLocalStorage } from 'node:async_hooks'
import type { EventMeta } from './app.ts'
import type { EventType } from './events.ts'
import { type Result, ok } from './result.ts'

/**
 * The inbox port of idempotent consumers: `claim` records an event id inside the consumer's
 * transaction and says whether it is new. A redelivered event claims nothing and changes nothing.
 */
export interface Inbox {
  claim(eventId: string, type: string): Promise<boolean>
}

/** A store whose transactions carry an inbox (every consuming service's store). */
export interface InboxStore<Tx extends { readonly inbox: Inbox }> {
  transact<T, E>(work: (tx: Tx) => Promise<Result<T, E>>): Promise<Result<T, E>>
}

/**
 * Makes a consumer's effect idempotent: the event id is claimed and the effect applied in one
 * transaction, so a redelivery (or a second instance racing for it) returns 'duplicate' and
 * changes nothing. An effect that throws rolls the claim back with it: the bus retries.
 */
export async function once<Tx extends { readonly inbox: Inbox }, T>(
  store: InboxStore<Tx>,
  meta: EventMeta,
  type: EventType,
  effect: (tx: Tx) => Promise<T>,
): Promise<T | 'duplicate'> {
  const r = await store.transact(async (tx): Promise<Result<T | 'duplicate', never>> => {
    if (!(await tx.inbox.claim(meta.eventId, type))) {
      noteDuplicate()
      return ok('duplicate' as const)
    }
    return ok(await effect(tx))
  })
  // The work returns no expected errors: only ok can come back (a throw propagates).
  return (r as { ok: true; value: T | 'duplicate' }).value
}

// The message being consumed, for its outcome metric: did the inbox find it already processed?
const delivery = new AsyncLocalStorage<{ duplicate: boolean }>()

/** Runs a consumer's handler and says whether it met an event it had already processed. */
export async function inDelivery(fn: () => Promise<void>): Promise<{ duplicate: boolean }> {
  const scope = { duplicate: false }
  await delivery.run(scope, fn)
  return scope
}

/** An inbox (or a replica's version check) found the event already processed: nothing changed. */
export function noteDuplicate(): void {
  const scope = delivery.getStore()
  if (scope) scope.duplicate = true
}
