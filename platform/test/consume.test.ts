import { describe, expect, test } from 'bun:test'
import { unavailable } from '../src/bus/consume.ts'

describe('a handler failure that is the database being unreachable', () => {
  test('is recognised by the codes of postgres.js, sockets and the server', () => {
    for (const code of [
      'CONNECTION_CLOSED',
      'CONNECTION_DESTROYED',
      'CONNECT_TIMEOUT',
      'ECONNRESET',
      'ECONNREFUSED',
      '57P01',
      '57P03',
      '53300',
      '08006',
      '08001',
    ]) {
      expect(unavailable(Object.assign(new Error('x'), { code }))).toBe(true)
    }
  })
  test('anything else is an ordinary failure (it counts towards dead-lettering)', () => {
    for (const e of [
      new Error('bug'),
      Object.assign(new Error('x'), { code: '23505' }),
      Object.assign(new Error('x'), { code: '40P01' }),
      null,
      undefined,
      'text',
      { code: 8 },
    ]) {
      expect(unavailable(e)).toBe(false)
    }
  })
})
