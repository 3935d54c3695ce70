import * as v from 'valibot'
import { MONEY_MAX_CENTS, parseMoney, toCents } from '../money.ts'

/** The largest amount, in our words' spelling. */
export const MONEY_MAX = '9999999999.99'

const decimal = (name: string) => `${name} must be a decimal number with at most 2 decimal places`

/**
 * Money input: a JSON number or a string, greater than 0, at most 2 decimal places, at most
 * 9999999999.99. Output: the canonical 2-decimal string.
 */
export const MoneyInput = (name = 'price') => {
  const words = `${decimal(name)}, greater than 0 and at most ${MONEY_MAX} (a JSON number or a string such as "12.50")`
  return v.pipe(
    v.union([v.number(), v.string()], words),
    v.transform((x) => parseMoney(x) ?? null),
    v.string(words),
    v.check((m) => toCents(m) > 0n && toCents(m) <= MONEY_MAX_CENTS, words),
  )
}

/** A money bound in a query string (0 allowed). */
export const MoneyQuery = (name: string) =>
  v.pipe(
    v.string(`${name} must be given once`),
    v.transform((x) => parseMoney(x) ?? null),
    v.string(`${decimal(name)}, from 0 to ${MONEY_MAX}`),
  )

export const MoneyOut = v.pipe(v.string(), v.regex(/^\d+\.\d{2}$/), v.description('decimal string with exactly two fraction digits'))
