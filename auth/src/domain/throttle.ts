/**
 * Failed-login limits: a fixed window per key (a username, a client address). Pure arithmetic;
 * where the counters live is the LoginThrottle port's business.
 */
export interface FailureWindow {
  readonly failures: number
  readonly windowStart: Date
}

export interface ThrottleRule {
  readonly maxFailures: number
  readonly windowSeconds: number
}

/** Seconds until the key may try again, or 0 when it may try now. */
export function retryAfter(w: FailureWindow | undefined, rule: ThrottleRule, now: Date): number {
  if (!w || w.failures < rule.maxFailures) return 0
  const ends = w.windowStart.getTime() + rule.windowSeconds * 1000
  const left = Math.ceil((ends - now.getTime()) / 1000)
  return left > 0 ? left : 0
}

/** The window after one more failure at `now`. */
export function recordFailure(w: FailureWindow | undefined, rule: ThrottleRule, now: Date): FailureWindow {
  if (!w || now.getTime() >= w.windowStart.getTime() + rule.windowSeconds * 1000) return { failures: 1, windowStart: now }
  return { failures: w.failures + 1, windowStart: w.windowStart }
}
