import { describe, expect, test } from 'bun:test'
import * as v from 'valibot'
import { MoneyInput } from '../src/http/money-schema.ts'

describe('money on the wire', () => {
  test('the input schema refuses 0, negatives, 3 decimals and 10^10', () => {
    const ok = (x: unknown) => v.safeParse(MoneyInput(), x).success
    expect(v.parse(MoneyInput(), 12)).toBe('12.00')
    expect(v.parse(MoneyInput(), '12.5')).toBe('12.50')
    for (const bad of [0, '0.00', -5, '1.234', 1e10, '10000000000.00', true, null]) expect(ok(bad)).toBe(false)
  })
})
