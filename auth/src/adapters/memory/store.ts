import { type Result, err, ok } from '@shop/kernel/result'
import type { Envelope } from '@shop/kernel/events'
import { MemoryTransactor, Table } from '@shop/platform/memory/transactor'
import type { Conflict } from '../../domain/errors.ts'
import { type AttemptLimit, type FailureWindow, giveBackOne, recordFailure, retryAfter } from '../../domain/throttle.ts'
import type { User } from '../../domain/user.ts'
import type { Page } from '@shop/kernel/app'
import type { AuthStore, AuthTx, LoginThrottle, Users } from '../../ports.ts'

class MemoryUsers implements Users {
  constructor(private readonly rows: Table<string, User>) {}

  async byId(id: string) {
    return this.rows.get(id)
  }
  async byUsername(username: string) {
    const u = username.toLowerCase()
    for (const row of this.rows.values()) if (row.username.toLowerCase() === u) return row
    return undefined
  }
  async byEmail(email: string) {
    const e = email.toLowerCase()
    for (const row of this.rows.values()) if (row.email === e) return row
    return undefined
  }
  private conflict(user: User): Conflict | undefined {
    for (const row of this.rows.values()) {
      if (row.id === user.id) continue
      if (row.username.toLowerCase() === user.username.toLowerCase())
        return { type: 'UsernameTaken', username: user.username }
      if (row.email === user.email.toLowerCase()) return { type: 'EmailTaken', email: user.email }
    }
    return undefined
  }
  async insert(user: User): Promise<Result<User, Conflict>> {
    const c = this.rows.has(user.id)
      ? ({ type: 'UsernameTaken', username: user.username } as const)
      : this.conflict(user)
    if (c) return err(c)
    this.rows.set(user.id, user)
    return ok(user)
  }
  async update(user: User): Promise<Result<User, Conflict>> {
    const c = this.conflict(user)
    if (c) return err(c)
    this.rows.set(user.id, user)
    return ok(user)
  }
  async remove(id: string) {
    return this.rows.delete(id)
  }
  async list(page: Page) {
    const all = [...this.rows.values()].sort(
      (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id),
    )
    return { items: all.slice(page.offset, page.offset + page.limit), total: all.length }
  }
}

class MemoryThrottle implements LoginThrottle {
  private readonly rows = new Map<string, FailureWindow>()
  private readonly windows = new Map<string, number>()
  private readonly known = new Map<string, Date>()
  // No await between the check and the count: atomic, as the port requires, in one process.
  async take(limits: readonly AttemptLimit[], now: Date) {
    const rule = (l: AttemptLimit) => ({ maxFailures: l.max, windowSeconds: l.windowSeconds })
    const wait = Math.max(0, ...limits.map((l) => retryAfter(this.rows.get(l.key), rule(l), now)))
    if (wait > 0) return wait
    for (const l of limits) {
      this.rows.set(l.key, recordFailure(this.rows.get(l.key), rule(l), now))
      this.windows.set(l.key, l.windowSeconds)
    }
    return 0
  }
  async giveBack(limits: readonly AttemptLimit[], forget: readonly string[], now: Date) {
    for (const l of limits) {
      const w = giveBackOne(this.rows.get(l.key), l.windowSeconds, now)
      if (w) this.rows.set(l.key, w)
    }
    for (const k of forget) this.rows.delete(k)
  }
  async isKnown(account: string, address: string, since: Date) {
    const last = this.known.get(JSON.stringify([account, address]))
    return !!last && last.getTime() >= since.getTime()
  }
  async remember(account: string, address: string, now: Date) {
    const key = JSON.stringify([account, address])
    const last = this.known.get(key)
    if (!last || last.getTime() < now.getTime()) this.known.set(key, now)
  }
  async prune(now: Date, knownSince: Date) {
    let n = 0
    for (const [key, w] of this.rows) {
      if (w.windowStart.getTime() + (this.windows.get(key) ?? 86_400) * 1000 > now.getTime()) continue
      this.rows.delete(key)
      this.windows.delete(key)
      n++
    }
    for (const [key, last] of this.known) {
      if (last.getTime() >= knownSince.getTime()) continue
      this.known.delete(key)
      n++
    }
    return n
  }
}

/** The auth store in memory: for unit tests and for tools that embed auth. */
export function memoryAuthStore(
  opts: { onEvents?: (events: Envelope[]) => void } = {},
): AuthStore & { readonly published: Envelope[] } {
  const rows = new Table<string, User>()
  const published: Envelope[] = []
  const transactor = new MemoryTransactor(
    [rows],
    (events) => {
      published.push(...events)
      opts.onEvents?.(events)
    },
    'auth',
  )
  const users = new MemoryUsers(rows)
  return {
    users,
    throttle: new MemoryThrottle(),
    published,
    transact: (work) => transactor.run((events): AuthTx => ({ users, events }), work),
  }
}
