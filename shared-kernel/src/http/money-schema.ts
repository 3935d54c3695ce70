import * as v from 'valibot'
import { MONEY_MAX_CENTS, parseMoney, toCents } from '../money.ts'
import { wire } from './openapi-meta.ts'

/** A decimal as the API reads it: up to 10 integer digits, up to 2 fraction digits. */
const DECIMAL = '^\\d{1,10}(\\.\\d{1,2})?$'

/**
 * Money input: a JSON number or a string, greater than 0, at most 2 fraction digits, below
 * 10^10. Output: the canonical 2-decimal string.
 */
export const MoneyInput = (name = 'price') =>
  v.pipe(
    v.union([v.number(), v.string()], `${name} must be a number or a decimal string`),
    // What the OpenAPI document declares (the checks below are not expressible as JSON Schema).
    v.metadata({
      description: 'greater than 0, at most 2 fraction digits, below 10^10: a JSON number or a decimal string ("12.50")',
      anyOf: [
        { type: 'number', exclusiveMinimum: 0, maximum: 9_999_999_999.99 },
        { type: 'string', pattern: DECIMAL },
      ],
    }),
    v.transform((x) => parseMoney(x) ?? null),
    v.string(`${name} must have at most 2 fraction digits and be below 10^10`),
    v.check((m) => toCents(m) > 0n && toCents(m) <= MONEY_MAX_CENTS, `${name} must be greater than 0 and below 10^10`),
  )

/** A money bound in a query string (0 allowed). */
export const MoneyQuery = (name: string) =>
  wire(
    v.pipe(
      v.string(),
      v.transform((x) => parseMoney(x) ?? null),
      v.string(`${name} must be a decimal with at most 2 fraction digits, below 10^10`),
    ),
    { type: 'string', pattern: DECIMAL, description: 'a decimal with at most 2 fraction digits, below 10^10' },
  )

export const MoneyOut = v.pipe(v.string(), v.regex(/^\d+\.\d{2}$/), v.description('decimal string with exactly two fraction digits'))
