import { describe, expect, test } from 'bun:test'
import { ConfigError } from '@shop/platform/config'
import { TEST_EVENT_KEYS } from '@shop/platform/testing/event-keys'
import { loadCatalogConfig } from '../src/config.ts'

const keys = TEST_EVENT_KEYS.env('catalog')

describe('catalog config', () => {
  test('defaults: port 8001, embedded database, info logs', () => {
    const c = loadCatalogConfig({ JWT_SECRET: 'x'.repeat(32), ...keys })
    expect(c.PORT).toBe(8001)
    expect(c.DATABASE_URL).toBeUndefined()
    expect(c.LOG_LEVEL).toBe('info')
  })
  test('a bad setting stops the start with its name', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadCatalogConfig(env)
        return []
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e
        return e.problems
      }
    }
    expect(problems({}).join()).toContain('JWT_SECRET')
    expect(problems({ JWT_SECRET: 'short' }).join()).toContain('at least 32 bytes')
    expect(problems({ JWT_SECRET: 'x'.repeat(32), ...keys, DATABASE_URL: 'mysql://x' }).join()).toContain(
      'DATABASE_URL',
    )
  })
})
