import { describe, expect, test } from 'bun:test'
import { recordFailure, retryAfter } from '../src/domain/throttle.ts'
import {
  changeUser,
  isValidEmail,
  isValidPassword,
  isValidUsername,
  newUser,
  normalizeEmail,
  userDeleted,
} from '../src/domain/user.ts'

const base = newUser({
  id: 'id-1',
  username: 'alice',
  email: 'Alice@Example.com',
  fullName: null,
  role: 'USER',
  passwordHash: 'h',
  now: new Date(0),
})

describe('user rules', () => {
  test('usernames', () => {
    for (const ok of ['abc', 'a.b-c_d', 'A'.repeat(32), '123']) expect(isValidUsername(ok)).toBe(true)
    for (const bad of ['ab', 'A'.repeat(33), 'a b', 'ä-name', 'a@b', '', 'x\n1'])
      expect(isValidUsername(bad)).toBe(false)
  })
  test('emails are validated and normalized to lower case', () => {
    expect(normalizeEmail('  A@B.Co ')).toBe('a@b.co')
    for (const ok of ['a@b.co', 'first.last+tag@sub.example.org']) expect(isValidEmail(ok)).toBe(true)
    for (const bad of ['a', 'a@b', '@b.co', 'a@b.c', 'a b@c.de', 'a@@b.co', `${'a'.repeat(250)}@b.co`])
      expect(isValidEmail(bad)).toBe(false)
  })
  test('passwords are 8..72 bytes', () => {
    expect(isValidPassword('1234567')).toBe(false)
    expect(isValidPassword('12345678')).toBe(true)
    expect(isValidPassword('x'.repeat(72))).toBe(true)
    expect(isValidPassword('x'.repeat(73))).toBe(false)
    expect(isValidPassword('é'.repeat(36))).toBe(true)
    expect(isValidPassword('é'.repeat(37))).toBe(false)
  })
  test('a new user starts at version 1 with a lower-case email', () => {
    expect(base.version).toBe(1)
    expect(base.email).toBe('alice@example.com')
  })
  test('changes bump the version and updated_at; no change returns the same user', () => {
    const later = new Date(1000)
    const same = changeUser(base, { username: 'alice', email: 'ALICE@example.com' }, later)
    expect(same).toBe(base)
    const changed = changeUser(base, { role: 'ADMIN' }, later)
    expect(changed.version).toBe(2)
    expect(changed.updatedAt).toEqual(later)
    expect(changed.createdAt).toEqual(base.createdAt)
  })
  test('a deletion event carries the next version', () => {
    expect(userDeleted(base)).toEqual({ type: 'user.deleted', data: { id: 'id-1', version: 2 } })
  })
})

describe('login throttle windows', () => {
  const rule = { maxFailures: 3, windowSeconds: 60 }
  const t0 = new Date(Date.UTC(2026, 0, 1))
  const at = (s: number) => new Date(t0.getTime() + s * 1000)
  test('no wait until the limit is reached, then the rest of the window', () => {
    let w = recordFailure(undefined, rule, t0)
    expect(retryAfter(w, rule, t0)).toBe(0)
    w = recordFailure(w, rule, at(1))
    w = recordFailure(w, rule, at(2))
    expect(w.failures).toBe(3)
    expect(retryAfter(w, rule, at(10))).toBe(50)
    expect(retryAfter(w, rule, at(60))).toBe(0)
  })
  test('a failure after the window starts a new one', () => {
    const w = recordFailure({ failures: 9, windowStart: t0 }, rule, at(61))
    expect(w).toEqual({ failures: 1, windowStart: at(61) })
  })
})
