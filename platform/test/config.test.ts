import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { ConfigError } from '../src/config.ts'
import { loadAuthConfig } from '../../auth/src/config.ts'
import { checkOwnKey, generateEventKey, publicKeyEntry, publicKeyOf } from '../src/bus/signing.ts'
import { TEST_EVENT_KEYS } from '../testing/event-keys.ts'

const root = join(import.meta.dir, '..', '..')
const secret = 'x'.repeat(32)
const keys = TEST_EVENT_KEYS.env('auth')

describe('configuration', () => {
  test('defaults apply and values are typed', () => {
    const c = loadAuthConfig({ JWT_SECRET: secret, ...keys })
    expect(c.PORT).toBe(8000)
    expect(c.BCRYPT_COST).toBe(10)
    expect(c.JWT_TTL_SECONDS).toBe(1800)
    expect(c.TRUST_PROXY).toBe(false)
    expect(c.DATABASE_URL).toBeUndefined()
  })
  test('every bad setting is named', () => {
    try {
      loadAuthConfig({
        JWT_SECRET: 'short',
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        BCRYPT_COST: '99',
        LOG_LEVEL: 'loud',
      })
      throw new Error('accepted')
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError)
      const msg = (e as Error).message
      for (const name of ['JWT_SECRET', 'PORT', 'DATABASE_URL', 'BCRYPT_COST', 'LOG_LEVEL']) expect(msg).toContain(name)
    }
  })
  test('a missing JWT_SECRET, and one of 31 bytes, are refused', () => {
    expect(() => loadAuthConfig({})).toThrow(/JWT_SECRET/)
    expect(() => loadAuthConfig({ JWT_SECRET: 'x'.repeat(31) })).toThrow(/at least 32 bytes/)
  })
  test('ADMIN_* go together and are validated', () => {
    expect(() => loadAuthConfig({ JWT_SECRET: secret, ...keys, ADMIN_USERNAME: 'root' })).toThrow(/all three or none/)
    expect(() =>
      loadAuthConfig({
        JWT_SECRET: secret,
        ...keys,
        ADMIN_USERNAME: 'r',
        ADMIN_EMAIL: 'a@b.co',
        ADMIN_PASSWORD: 'password1',
      }),
    ).toThrow(/ADMIN_USERNAME/)
  })
  test('the event keys are required, and refused with the reason when malformed', async () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadAuthConfig({ JWT_SECRET: secret, ...env })
        return ''
      } catch (e) {
        return (e as Error).message
      }
    }
    expect(problems({})).toContain('EVENT_SIGNING_KEY')
    expect(problems({})).toContain('EVENT_PUBLIC_KEYS')
    expect(problems(keys)).toBe('')
    expect(problems({ ...keys, EVENT_SIGNING_KEY: 'no-colon' })).toContain('EVENT_SIGNING_KEY must be <key id>:')
    expect(problems({ ...keys, EVENT_SIGNING_KEY: 'k1:aGVsbG8=' })).toContain('not a base64 PKCS#8 Ed25519')
    const [auth, catalog, order] = keys.EVENT_PUBLIC_KEYS.split(',')
    expect(problems({ ...keys, EVENT_PUBLIC_KEYS: `${auth},${catalog}` })).toContain('no key for order')
    expect(problems({ ...keys, EVENT_PUBLIC_KEYS: `${auth},${catalog},${order},${order}` })).toContain('given twice')
    expect(problems({ ...keys, EVENT_PUBLIC_KEYS: `${auth},${catalog},${order},billing:b1:x` })).toContain('billing')
    // a rotation: two keys for a service, never three
    const more = await Promise.all(['auth-next', 'auth-third'].map((id) => generateEventKey(id)))
    const entry = (i: number) => publicKeyEntry('auth', ['auth-next', 'auth-third'][i]!, more[i]!.publicKey)
    expect(problems({ ...keys, EVENT_PUBLIC_KEYS: `${keys.EVENT_PUBLIC_KEYS},${entry(0)}` })).toBe('')
    expect(problems({ ...keys, EVENT_PUBLIC_KEYS: `${keys.EVENT_PUBLIC_KEYS},${entry(0)},${entry(1)}` })).toContain(
      '3 keys for auth: at most 2',
    )
  })
  test("at start a service's own signing key must be among the public keys, under its name, the same key", async () => {
    const k = TEST_EVENT_KEYS
    await checkOwnKey('auth', k.signingKeys.auth, k.publicKeys)
    // catalog's key given to auth, a key no entry names, a key whose entry holds another public key
    await expect(checkOwnKey('auth', k.signingKeys.catalog, k.publicKeys)).rejects.toThrow(/not one of auth's keys/)
    const stray = await generateEventKey('auth-stray')
    await expect(checkOwnKey('auth', stray.signingKey, k.publicKeys)).rejects.toThrow(/not one of auth's keys/)
    const impostor = await generateEventKey('auth-test')
    await expect(checkOwnKey('auth', impostor.signingKey, k.publicKeys)).rejects.toThrow(/not the public half/)
    expect(await publicKeyOf(stray.signingKey)).toBe(stray.publicKey)
  })
  test('the service process stops at start with a message naming the setting', async () => {
    const proc = Bun.spawn(['bun', join(root, 'auth', 'src', 'main.ts')], {
      env: { PATH: process.env.PATH ?? '', JWT_SECRET: 'too-short' },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const code = await proc.exited
    const stderr = await new Response(proc.stderr).text()
    expect(code).toBe(1)
    expect(stderr).toContain('JWT_SECRET')
    expect(stderr).toContain('at least 32 bytes')
  })
})
