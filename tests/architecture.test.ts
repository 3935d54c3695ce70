import { describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs'
import { join, relative } from 'node:path'

/**
 * House rule 1: dependencies point inward. Domain files import no framework, driver or runtime;
 * each core (its use cases in `src/app/`, or `<service>.ts`) imports only its domain, its ports and the kernel's plain shapes.
 */
const root = join(import.meta.dir, '..')
const FORBIDDEN = /^(hono|postgres|valibot|@valibot|@cloudamqp|@electric-sql|@node-rs|bun|bun:|node:|swagger)/

function files(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []
  })
}

function imports(file: string): string[] {
  const src = readFileSync(file, 'utf8')
  const found = [...src.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)]
  return found.map((m) => m[1] ?? m[2] ?? m[3]!).filter(Boolean)
}

// Kernel modules that are plain types and pure functions, fit for a domain or a core.
const PURE_KERNEL = new Set(['@shop/shared-kernel/result', '@shop/shared-kernel/event-types', '@shop/shared-kernel/money'])
// The application shapes and the idempotent-consumer helper: plain types and functions, fit for a core (not a domain).
const APP_KERNEL = new Set(['@shop/shared-kernel/app', '@shop/shared-kernel/inbox'])

const services = ['auth', 'catalog', 'order']

describe('dependencies point inward', () => {
  for (const s of services) {
    test(`${s}/src/domain imports no framework, driver or runtime`, () => {
      const offenders: string[] = []
      for (const f of files(join(root, s, 'src', 'domain'))) {
        for (const i of imports(f)) {
          const bad = FORBIDDEN.test(i) || (i.startsWith('@shop/') && !PURE_KERNEL.has(i)) || i.includes('/adapters/') || i.endsWith('ports.ts')
          if (bad) offenders.push(`${relative(root, f)} imports ${i}`)
        }
      }
      expect(offenders).toEqual([])
    })
    test(`${s}'s core (src/app/, or src/${s}.ts before it) imports only its domain, its ports, its use cases and plain kernel shapes`, () => {
      const app = join(root, s, 'src', 'app')
      const core = existsSync(app) ? files(app) : [join(root, s, 'src', `${s}.ts`)]
      const fromApp = (i: string) => i.startsWith('../domain/') || i === '../ports.ts' || /^\.\/[\w-]+\.ts$/.test(i)
      const fromRoot = (i: string) => i.startsWith('./domain/') || i === './ports.ts'
      const offenders = core.flatMap((f) =>
        imports(f)
          .filter((i) => !((f.startsWith(app) ? fromApp(i) : fromRoot(i)) || PURE_KERNEL.has(i) || APP_KERNEL.has(i)))
          .map((i) => `${relative(root, f)} imports ${i}`),
      )
      expect(offenders).toEqual([])
    })
  }
  test('the check itself catches an offender', () => {
    expect(FORBIDDEN.test('hono/jwt')).toBe(true)
    expect(FORBIDDEN.test('postgres')).toBe(true)
    expect(imports(join(root, 'shared-kernel', 'src', 'http', 'app.ts'))).toContain('hono')
  })
  test('SQL lives only in postgres adapters (and the kernel postgres module)', () => {
    const offenders: string[] = []
    for (const s of services) {
      for (const f of files(join(root, s, 'src'))) {
        if (f.includes('/adapters/postgres/')) continue
        const src = readFileSync(f, 'utf8')
        if (/\bsql`|\.unsafe\(/.test(src)) offenders.push(relative(root, f))
      }
    }
    expect(offenders).toEqual([])
  })
})
