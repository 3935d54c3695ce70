import * as v from 'valibot'
import { MONEY_MAX_CENTS, parseMoney, toCents } from '@shop/kernel/money'
import { wire } from './openapi-meta.ts'

/** A decimal as the API reads it, for the OpenAPI document: up to 10 integer digits, up to 2 decimal places. */
const DECIMAL = '^\\d{1,10}(\\.\\d{1,2})?$'

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
    // What the OpenAPI document declares (the checks below are not expressible as JSON Schema).
    v.metadata({
      description:
        `a decimal number with at most 2 decimal places, greater than 0 ` +
        `and at most ${MONEY_MAX}: a JSON number or a string such as "12.50"`,
      anyOf: [
        { type: 'number', exclusiveMinimum: 0, maximum: Number(MONEY_MAX) },
        { type: 'string', pattern: DECIMAL },
      ],
    }),
    v.transform((x) => parseMoney(x) ?? null),
    v.string(words),
    v.check((m) => toCents(m) > 0n && toCents(m) <= MONEY_MAX_CENTS, words),
  )
}

/** A money bound in a query string (0 allowed). */
export const MoneyQuery = (name: string) =>
  wire(
    v.pipe(
      v.string(`${name} must be given once`),
      v.transform((x) => parseMoney(x) ?? null),
      v.string(`${decimal(name)}, from 0 to ${MONEY_MAX}`),
    ),
    {
      type: 'string',
      pattern: DECIMAL,
      description: `a decimal number with at most 2 decimal places, from 0 to ${MONEY_MAX}`,
    },
  )

export const MoneyOut = v.pipe(
  v.string(),
  v.regex(/^\d+\.\d{2}$/),
  v.description('decimal string with exactly two fraction digits'),
)
