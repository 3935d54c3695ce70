import type { KnownUser, UserLookup } from './http/auth.ts'

export interface UserCacheOptions {
  /** Entries kept at most (least recently used go first). */
  readonly max?: number
  /** A backstop: an entry older than this is read again even if no invalidation came. */
  readonly ttlMs?: number
  readonly now?: () => number
}

/**
 * An in-process cache in front of a user replica's lookup, so that checking a token does not
 * cost a database round trip per request. Correctness rests on invalidation, not on the TTL:
 * whoever changes the replica calls `invalidate(id)` once the change is committed (the local
 * consumer directly; other instances through a notification, see postgres/user-replica.ts).
 *
 * A lookup that was in flight when any invalidation happened is not stored (an epoch counter),
 * so a value read before a commit can never be cached after that commit's invalidation. Until
 * `enable()` (the notification channel is listening), lookups go straight to the replica.
 */
export class UserCache {
  private readonly entries = new Map<string, { value: KnownUser | undefined; at: number }>()
  private epoch = 0
  private enabled = false
  private readonly max: number
  private readonly ttlMs: number
  private readonly now: () => number
  /** Counters for tests and benchmarks. */
  readonly stats = { hits: 0, misses: 0, invalidations: 0 }

  constructor(
    private readonly load: UserLookup,
    o: UserCacheOptions = {},
  ) {
    this.max = o.max ?? 10_000
    this.ttlMs = o.ttlMs ?? 30_000
    this.now = o.now ?? (() => performance.now())
  }

  readonly lookup: UserLookup = async (id) => {
    if (!this.enabled) return this.load(id)
    const hit = this.entries.get(id)
    if (hit && this.now() - hit.at < this.ttlMs) {
      this.stats.hits++
      // Most recently used last: Map keeps insertion order.
      this.entries.delete(id)
      this.entries.set(id, hit)
      return hit.value
    }
    this.stats.misses++
    const epoch = this.epoch
    const value = await this.load(id)
    if (epoch === this.epoch && this.enabled) {
      this.entries.delete(id)
      if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!)
      this.entries.set(id, { value, at: this.now() })
    }
    return value
  }

  /** The user changed (committed): forget it, and let no lookup in flight store its value. */
  invalidate(id: string): void {
    this.epoch++
    this.stats.invalidations++
    this.entries.delete(id)
  }

  /** Forget everything (the notification channel was (re)connected: something may have been missed). */
  clear(): void {
    this.epoch++
    this.entries.clear()
  }

  enable(): void {
    this.enabled = true
  }

  /** Back to pass-through (the notification channel is down). */
  disable(): void {
    this.enabled = false
    this.clear()
  }

  get size(): number {
    return this.entries.size
  }
}
