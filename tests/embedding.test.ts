import { runToEnd } from '@shop/platform/testing/fixtures'
import { describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The cores are importable from their packages, with no side effect, and usable without servers. */
const root = join(import.meta.dir, '..')

async function runBun(args: string[], cwd: string) {
  const {
    code,
    out: stdout,
    err: stderr,
  } = await runToEnd(['bun', ...args], {
    cwd,
    env: { HOME: process.env.HOME ?? '/tmp' },
  })
  return { code, stdout, stderr }
}

describe('embedding the cores', () => {
  test(
    'importing @shop/auth, @shop/catalog and @shop/order starts ' +
      'nothing, writes nothing, prints nothing, and exits at once',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'shop-embed-'))
      // under node_modules (it resolves @shop/* from there, and no test scans it), not in the checkout,
      // where tests that read every file (standalone, conflict markers) could list it and find it gone
      const script = join(root, 'node_modules', '.cache', 'shop', `embed-probe-${crypto.randomUUID()}.ts`)
      await Bun.write(
        script,
        `import * as a from '@shop/auth'\nimport * as c from '@shop/catalog'\nimport * as o from ` +
          `'@shop/order'\nconsole.log(typeof a.authApplication, typeof c.catalogApplication, ` +
          `typeof o.orderApplication, typeof a.memoryAuthStore, ` +
          `typeof c.memoryCatalogStore, typeof o.memoryOrderStore)\n`,
      )
      try {
        // it exits by itself (nothing left listening or polling); how soon: bench/timings/processes.ts
        const r = await runBun([script], dir)
        expect(r.stderr).toBe('')
        expect(r.code).toBe(0)
        expect(r.stdout.trim()).toBe('function function function function function function')
        expect(readdirSync(dir)).toEqual([]) // no .data, no logs
        expect(existsSync(join(dir, '.data'))).toBe(false)
      } finally {
        await Bun.file(script).delete()
      }
    },
  )

  test('examples/price-an-order.ts builds a tree and prices an order with the cores alone', async () => {
    const r = await runBun([join(root, 'examples', 'price-an-order.ts')], mkdtempSync(join(tmpdir(), 'shop-example-')))
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('- Garden\n  - Seeds\n  - Tools\n    - Hand tools')
    expect(r.stdout).toMatch(/Trowel\s+3 ×\s+12\.90 =\s+38\.70/)
    expect(r.stdout).toContain('total 7 items: 63.50')
  })
})
