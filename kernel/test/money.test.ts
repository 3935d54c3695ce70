import { describe, expect, test } from 'bun:test'
import { fromCents, parseMoney, sum, times, toCents } from '../src/money.ts'

describe('money', () => {
  test('parses numbers and strings to 2-decimal strings', () => {
    expect(parseMoney(19.9)).toBe('19.90')
    expect(parseMoney('19.9')).toBe('19.90')
    expect(parseMoney(5)).toBe('5.00')
    expect(parseMoney('0.01')).toBe('0.01')
    expect(parseMoney('9999999999.99')).toBe('9999999999.99')
    expect(parseMoney(0.1 + 0.2)).toBeUndefined() // 0.30000000000000004 has more than 2 digits
    for (const bad of ['1.999', '-1', '1e3', '', 'abc', '10000000000', ' 1 2', NaN, Infinity, null, {}, [], '1.'])
      expect(parseMoney(bad)).toBeUndefined()
  })
  test('exact arithmetic in cents', () => {
    expect(times('0.10', 3)).toBe('0.30')
    expect(sum(['0.10', '0.20'])).toBe('0.30')
    expect(times('1999.90', 1000)).toBe('1999900.00')
    expect(toCents('12.3')).toBe(1230n)
    expect(fromCents(5n)).toBe('0.05')
  })
})
