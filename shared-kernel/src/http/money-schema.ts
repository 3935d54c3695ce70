import * as v from 'valibot'
import { MONEY_MAX_CENTS, parseMoney, toCents } from '../money.ts'

/**
 * Money input: a JSON number or a string, greater than 0, at most 2 fraction digits, below
 * 10^10. Output: the canonical 2-decimal string.
 */
export const MoneyInput = (name = 'price') =>
  v.pipe(
    v.union([v.number(), v.string()], `${name} must be a number or a decimal string`),
    v.transform((x) => parseMoney(x) ?? null),
    v.string(`${name} must have at most 2 fraction digits and be below 10^10`),
    v.check((m) => toCents(m) > 0n && toCents(m) <= MONEY_MAX_CENTS, `${name} must be greater than 0 and below 10^10`),
  )

/** A money bound in a query string (0 allowed). */
export const MoneyQuery = (name: string) =>
  v.pipe(
    v.string(),
    v.transform((x) => parseMoney(x) ?? null),
    v.string(`${name} must be a decimal with at most 2 fraction digits, below 10^10`),
  )

export const MoneyOut = v.pipe(v.string(), v.regex(/^\d+\.\d{2}$/), v.description('decimal string with exactly two fraction digits'))
