import { describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

/**
 * House rule 1: dependencies point inward. Domain files import no framework, driver or runtime;
 * the use cases (`src/app/`, or a single `src/<service>.ts`) import only their domain, their ports,
 * each other and the kernel's plain types.
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

// Kernel modules that are plain types and pure functions, fit for a domain or a use case.
const PURE_KERNEL = new Set(['@shop/shared-kernel/result', '@shop/shared-kernel/event-types', '@shop/shared-kernel/money', '@shop/shared-kernel/app', '@shop/shared-kernel/inbox'])

/** A service's use cases: the files of `src/app/` (one per use case), or a single `src/<service>.ts`. */
const useCaseFiles = (s: string): string[] => {
  const dir = join(root, s, 'src', 'app')
  return existsSync(dir) ? files(dir) : [join(root, s, 'src', `${s}.ts`)]
}

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
    test(`${s}: the use cases import only their domain, their ports, each other and pure kernel types`, () => {
      const src = join(root, s, 'src')
      const inward = (from: string, i: string) => {
        if (PURE_KERNEL.has(i)) return true
        if (!i.startsWith('.')) return false
        const target = relative(src, resolve(dirname(from), i))
        return target.startsWith('domain/') || target === 'ports.ts' || target.startsWith('app/')
      }
      const offenders = useCaseFiles(s).flatMap((f) => imports(f).filter((i) => !inward(f, i)).map((i) => `${relative(root, f)} imports ${i}`))
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
