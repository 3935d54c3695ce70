import { describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'

/**
 * House rule 1: dependencies point inward. Domain files import no framework, driver or runtime;
 * each core (its use cases: `src/app/**`, or a single `src/<service>.ts`) imports only its domain,
 * its ports, itself and the kernel's plain modules.
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
  const found = [
    ...src.matchAll(
      /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm,
    ),
  ]
  return found.map((m) => m[1] ?? m[2] ?? m[3]!).filter(Boolean)
}

// Kernel modules that are plain types and pure functions, fit for a domain or a core.
const PURE_KERNEL = new Set([
  '@shop/shared-kernel/result',
  '@shop/shared-kernel/event-types',
  '@shop/shared-kernel/money',
  '@shop/shared-kernel/app',
  '@shop/shared-kernel/inbox',
])

/** The use-case files of a service: its `src/app` folder, or the single `src/<service>.ts` before it. */
function coreFiles(service: string): string[] {
  const app = join(root, service, 'src', 'app')
  return existsSync(app) ? files(app) : [join(root, service, 'src', `${service}.ts`)].filter(existsSync)
}

/** A core's import is fine when it is a pure kernel module or a file of its domain, its ports or its core. */
function coreMayImport(service: string, file: string, i: string): boolean {
  if (PURE_KERNEL.has(i)) return true
  if (!i.startsWith('.')) return false
  const src = join(root, service, 'src')
  const target = resolve(dirname(file), i)
  const inside = (dir: string) => target.startsWith(join(src, dir) + '/')
  return (
    inside('domain') ||
    target === join(src, 'ports.ts') ||
    (existsSync(join(src, 'app')) ? inside('app') : target === join(src, `${service}.ts`))
  )
}

const services = ['auth', 'catalog', 'order']

describe('dependencies point inward', () => {
  for (const s of services) {
    test(`${s}/src/domain imports no framework, driver or runtime`, () => {
      const offenders: string[] = []
      for (const f of files(join(root, s, 'src', 'domain'))) {
        for (const i of imports(f)) {
          const bad =
            FORBIDDEN.test(i) ||
            (i.startsWith('@shop/') && !PURE_KERNEL.has(i)) ||
            i.includes('/adapters/') ||
            i.endsWith('ports.ts')
          if (bad) offenders.push(`${relative(root, f)} imports ${i}`)
        }
      }
      expect(offenders).toEqual([])
    })
    test(`${s}'s core (its use cases) imports only its domain, its ports and pure kernel modules`, () => {
      const core = coreFiles(s)
      expect(core.length).toBeGreaterThan(0)
      const offenders = core.flatMap((f) =>
        imports(f)
          .filter((i) => !coreMayImport(s, f, i))
          .map((i) => `${relative(root, f)} imports ${i}`),
      )
      expect(offenders).toEqual([])
    })
  }
  test('the check itself catches an offender', () => {
    expect(FORBIDDEN.test('hono/jwt')).toBe(true)
    expect(FORBIDDEN.test('postgres')).toBe(true)
    expect(imports(join(root, 'shared-kernel', 'src', 'http', 'app.ts'))).toContain('hono')
    const useCase = join(root, 'auth', 'src', 'app', 'login.ts')
    expect(coreMayImport('auth', useCase, '../domain/user.ts')).toBe(true)
    expect(coreMayImport('auth', useCase, '../adapters/security.ts')).toBe(false)
    expect(coreMayImport('auth', useCase, '@shop/shared-kernel/http/problem')).toBe(false)
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

/**
 * A file's imports as files: relative ones and the kernel's `@shop/shared-kernel/...` (type-only imports count too).
 */
function importedFiles(file: string): string[] {
  return imports(file).flatMap((i) => {
    const target = i.startsWith('.')
      ? resolve(dirname(file), i)
      : i.startsWith('@shop/shared-kernel/testing/')
        ? join(root, 'shared-kernel', 'testing', `${i.slice('@shop/shared-kernel/testing/'.length)}.ts`)
        : i.startsWith('@shop/shared-kernel/')
          ? join(root, 'shared-kernel', 'src', `${i.slice('@shop/shared-kernel/'.length)}.ts`)
          : undefined
    return target && existsSync(target) && target.endsWith('.ts') ? [target] : []
  })
}

/** The import cycles among `files` (each once, as the path around it). */
function importCycles(sources: readonly string[]): string[][] {
  const cycles: string[][] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (f: string) => {
    state.set(f, 'open')
    stack.push(f)
    for (const g of importedFiles(f)) {
      if (state.get(g) === 'open') cycles.push([...stack.slice(stack.indexOf(g)), g])
      else if (!state.has(g)) visit(g)
    }
    stack.pop()
    state.set(f, 'done')
  }
  for (const f of sources) if (!state.has(f)) visit(f)
  return cycles
}

describe('no import cycles', () => {
  test('among the source files of the kernel and the three services', () => {
    const sources = ['shared-kernel', ...services].flatMap((s) => files(join(root, s, 'src')))
    expect(sources.length).toBeGreaterThan(100)
    expect(importCycles(sources).map((c) => c.map((f) => relative(root, f)).join(' → '))).toEqual([])
  })
  test('the check itself finds a cycle, and follows kernel imports', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cycle-'))
    writeFileSync(join(dir, 'a.ts'), "import type { B } from './b.ts'\nexport type A = B\n")
    writeFileSync(
      join(dir, 'b.ts'),
      "import { c } from './c.ts'\nimport type { A } from './a.ts'\nexport type B = A | typeof c\n",
    )
    writeFileSync(join(dir, 'c.ts'), 'export const c = 1\n')
    try {
      expect(importCycles([join(dir, 'a.ts'), join(dir, 'c.ts')]).map((c) => c.map((f) => relative(dir, f)))).toEqual([
        ['a.ts', 'b.ts', 'a.ts'],
      ])
    } finally {
      rmSync(dir, { recursive: true })
    }
    expect(importedFiles(join(root, 'auth', 'src', 'app', 'application.ts'))).toContain(
      join(root, 'shared-kernel', 'src', 'app.ts'),
    )
  })
})
