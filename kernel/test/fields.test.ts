import { describe, expect, test } from 'bun:test'
import { applyChanges, changeVersioned, defined, fieldNames, nulls, omit, pick } from '../src/fields.ts'
import { camelKeys, entryNames, snakeKeys, snakeNames, wireOf } from '../src/wire.ts'

describe('wire names', () => {
  test('camelCase and snake_case, both ways', () => {
    const core = { id: 1, categoryId: 2, unitPrice: '1.00', createdAt: new Date(0) }
    const wire = snakeKeys(core)
    expect(wire).toEqual({ id: 1, category_id: 2, unit_price: '1.00', created_at: new Date(0) })
    expect(camelKeys(wire)).toEqual(core)
    expect(snakeNames(['categoryId', 'sku'] as const)).toEqual(['category_id', 'sku'])
  })

  test("an answer holds its schema's fields only, in the schema's order", () => {
    const schema = { entries: { id: 0, category_id: 0, sku: 0 } }
    const answer = wireOf(schema, { sku: null, version: 3, categoryId: 2, id: 1 })
    expect(answer).toEqual({ id: 1, category_id: 2, sku: null })
    expect(Object.keys(answer)).toEqual(['id', 'category_id', 'sku'])
    expect(entryNames(schema)).toEqual(['id', 'category_id', 'sku'])
  })
})

describe('fields', () => {
  test('named once, picked, left out, nulled, defaults kept', () => {
    const names = fieldNames<{ a: number; b: string | null }>()('a', 'b')
    expect(names).toEqual(['a', 'b'])
    expect(pick({ a: 1, b: 'x', c: true }, names)).toEqual({ a: 1, b: 'x' })
    expect(omit({ a: 1, b: 'x', c: true }, ['c'])).toEqual({ a: 1, b: 'x' })
    expect(nulls(names)).toEqual({ a: null, b: null })
    const input: { a?: number; b?: string | null } = { a: 2, b: undefined }
    expect({ a: 0, b: null, ...defined(input) }).toEqual({ a: 2, b: null })
  })

  test('a change that changes nothing is no change; null clears; dates by value', () => {
    const e = { n: 1, s: 'x' as string | null, at: new Date(5), updatedAt: new Date(0), version: 1 }
    expect(applyChanges(e, {})).toBe(e)
    expect(applyChanges(e, { n: 1, s: undefined, at: new Date(5) })).toBe(e)
    expect(applyChanges(e, { s: null })).toEqual({ ...e, s: null })
    expect(applyChanges(e, { s: 'X' }, { s: (a, b) => a?.toLowerCase() === b?.toLowerCase() })).toBe(e)
    expect(changeVersioned(e, { n: 1 }, new Date(9))).toBe(e)
    expect(changeVersioned(e, { n: 2 }, new Date(9))).toEqual({ ...e, n: 2, updatedAt: new Date(9), version: 2 })
  })
})
