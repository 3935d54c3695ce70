/**
 * Attempt limits (logins, registrations): a fixed window per key. An attempt is taken before the
 * work it guards (a password check, a registration) and, for a login, given back when it was
 * right: what stays counted are failures. Pure arithmetic; where the counters live, and how
 * taking them is made atomic, is the LoginThrottle port's business.
 */
export interface FailureWindow {
  readonly failures: number
  readonly windowStart: Date
}

export interface ThrottleRule {
  readonly maxFailures: number
  readonly windowSeconds: number
}

/** One counter an attempt is taken from. */
export interface AttemptLimit {
  readonly key: string
  readonly max: number
  readonly windowSeconds: number
}

/** The login limits: per (account, client address), per client address, per account across addresses. */
export interface LoginRules {
  readonly perAccountAndAddress: ThrottleRule
  readonly perAddress: ThrottleRule
  readonly perAccount: ThrottleRule
}

/** Seconds until the key may try again, or 0 when it may try now. */
export function retryAfter(w: FailureWindow | undefined, rule: ThrottleRule, now: Date): number {
  if (!w || w.failures < rule.maxFailures) return 0
  const ends = w.windowStart.getTime() + rule.windowSeconds * 1000
  const left = Math.ceil((ends - now.getTime()) / 1000)
  // biome-ignore lint/complexity/useMathMinMax: keeps 0 for NaN (an invalid date), where Math.max gives NaN
  return left > 0 ? left : 0
}

/** The window after one more failure at `now`. */
export function recordFailure(w: FailureWindow | undefined, rule: ThrottleRule, now: Date): FailureWindow {
  if (!w || now.getTime() >= w.windowStart.getTime() + rule.windowSeconds * 1000)
    return { failures: 1, windowStart: now }
  return { failures: w.failures + 1, windowStart: w.windowStart }
}

/** The window after one attempt is given back at `now` (none within an ended window). */
export function giveBackOne(w: FailureWindow | undefined, windowSeconds: number, now: Date): FailureWindow | undefined {
  if (!w || now.getTime() >= w.windowStart.getTime() + windowSeconds * 1000) return w
  return { failures: Math.max(0, w.failures - 1), windowStart: w.windowStart }
}

const limit = (key: string, rule: ThrottleRule): AttemptLimit => ({
  key,
  max: rule.maxFailures,
  windowSeconds: rule.windowSeconds,
})

/**
 * How long an address stays known for an account after a successful login from it: logins from
 * a known address are held only to their own per-(account, address) counter.
 */
export const KNOWN_ADDRESS_DAYS = 30

/** The earliest last success that still makes an address known at `now`. */
export const knownSince = (now: Date): Date => new Date(now.getTime() - KNOWN_ADDRESS_DAYS * 86_400_000)

/**
 * The counters one login attempt is taken from. `account` names the account (its user id when it
 * exists; otherwise the login as typed, lower-cased, so unknown names are limited too). Failures
 * from one address never lock the account for another: that pair has its own counter, and the
 * per-account counter across all addresses is much higher (distributed guessing). From an
 * address `known` for the account (a successful login from it within KNOWN_ADDRESS_DAYS) only
 * the pair's counter applies: strangers exhausting the account's limit elsewhere never lock its
 * owner out where the owner has logged in before.
 */
export function loginLimits(
  account: string,
  address: string,
  rules: LoginRules,
  known = false,
): { readonly pair: AttemptLimit; readonly all: readonly AttemptLimit[] } {
  const pair = limit(`pair:${account}|${address}`, rules.perAccountAndAddress)
  if (known) return { pair, all: [pair] }
  return { pair, all: [pair, limit(`addr:${address}`, rules.perAddress), limit(`acct:${account}`, rules.perAccount)] }
}

/** The counter a registration is taken from: one per client address. */
export const registrationLimit = (address: string, rule: ThrottleRule): AttemptLimit =>
  limit(`register:${address}`, rule)
