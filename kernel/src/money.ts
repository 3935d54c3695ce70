/**
 * Money as exact decimals: a string with exactly two fraction digits ("1999.90"), computed in
 * integer cents (bigint). Never a float. Pure: usable from domain code.
 */
export type Money = string

const FORM = /^(\d{1,10})(?:\.(\d{1,2}))?$/
/** Amounts are below 10^10 (numeric(12,2)). */
export const MONEY_MAX_CENTS = 10n ** 12n - 1n

/** Reads a JSON number or string of at most two fraction digits; undefined when not one. */
export function parseMoney(input: unknown): Money | undefined {
  let s: string
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return undefined
    s = String(input)
  } else if (typeof input === 'string') s = input.trim()
  else return undefined
  const m = FORM.exec(s)
  if (!m) return undefined
  return fromCents(BigInt(m[1]!) * 100n + BigInt((m[2] ?? '').padEnd(2, '0')))
}

export function toCents(m: Money): bigint {
  const [units, frac = ''] = m.split('.')
  return BigInt(units!) * 100n + BigInt(frac.padEnd(2, '0').slice(0, 2))
}

export function fromCents(c: bigint): Money {
  const neg = c < 0n
  const a = neg ? -c : c
  return `${neg ? '-' : ''}${a / 100n}.${String(a % 100n).padStart(2, '0')}`
}

export const times = (m: Money, quantity: number): Money => fromCents(toCents(m) * BigInt(quantity))
export const sum = (ms: readonly Money[]): Money => fromCents(ms.reduce((acc, m) => acc + toCents(m), 0n))
export const compare = (a: Money, b: Money): number => {
  const d = toCents(a) - toCents(b)
  return d < 0n ? -1 : d > 0n ? 1 : 0
}
