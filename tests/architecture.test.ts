import { describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'

/**
 * House rule 1: dependencies point inward. The kernel (`kernel/`: plain types and pure functions)
 * imports nothing of the platform and no I/O library; the platform (`platform/`: http, bus,
 * postgres, observability, boot) imports no service; a service's domain imports only the kernel;
 * each core (its use cases, `src/app/**`) imports only its domain, its ports, itself and the
 * kernel; no service imports another; no two folders import each other; every package declares
 * the packages it imports.
 */
const root = join(import.meta.dir, '..')

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

// The kernel is plain types and pure functions, fit for a domain or a core: every module of it.
const isKernel = (i: string) => i.startsWith('@shop/kernel/')
// What the kernel itself may import besides its own files: validation, and the async context of
// the inbox's duplicate note (no I/O).
const KERNEL_MAY_IMPORT = new Set(['valibot', 'node:async_hooks'])

/** The use-case files of a service: its `src/app` folder. */
const coreFiles = (service: string): string[] => files(join(root, service, 'src', 'app'))

/** A core's import is fine when it is a pure kernel module or a file of its domain, its ports or its core. */
function coreMayImport(service: string, file: string, i: string): boolean {
  if (isKernel(i)) return true
  if (!i.startsWith('.')) return false
  const src = join(root, service, 'src')
  const target = resolve(dirname(file), i)
  const inside = (dir: string) => target.startsWith(`${join(src, dir)}/`)
  return inside('domain') || target === join(src, 'ports.ts') || inside('app')
}

/** A domain file may import the kernel and the files of its own domain: nothing else. */
function domainMayImport(service: string, file: string, i: string): boolean {
  return (
    isKernel(i) ||
    (i.startsWith('.') && resolve(dirname(file), i).startsWith(join(root, service, 'src', 'domain', '/')))
  )
}

const services = ['auth', 'catalog', 'order']
const PACKAGES = ['kernel', 'platform', ...services]

describe('dependencies point inward', () => {
  for (const s of services) {
    test(`${s}/src/domain imports only its own files and the kernel`, () => {
      const offenders: string[] = []
      for (const f of files(join(root, s, 'src', 'domain'))) {
        for (const i of imports(f)) {
          if (!domainMayImport(s, f, i)) offenders.push(`${relative(root, f)} imports ${i}`)
        }
      }
      expect(offenders).toEqual([])
    })
    test(`${s}'s core (its use cases) imports only its domain, its ports and the kernel`, () => {
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
    const domainFile = join(root, 'order', 'src', 'domain', 'order.ts')
    for (const bad of [
      'hono',
      'valibot',
      'postgres',
      '@shop/platform/http/problem',
      '../ports.ts',
      '../app/place-order.ts',
    ])
      expect(domainMayImport('order', domainFile, bad)).toBe(false)
    expect(domainMayImport('order', domainFile, './status.ts')).toBe(true)
    expect(domainMayImport('order', domainFile, '@shop/kernel/money')).toBe(true)
    expect(imports(join(root, 'platform', 'src', 'http', 'app.ts'))).toContain('hono')
    const useCase = join(root, 'auth', 'src', 'app', 'login.ts')
    expect(coreMayImport('auth', useCase, '../domain/user.ts')).toBe(true)
    expect(coreMayImport('auth', useCase, '../adapters/security.ts')).toBe(false)
    expect(coreMayImport('auth', useCase, '@shop/platform/http/problem')).toBe(false)
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

/** The file an import names: relative ones, and `@shop/kernel/...` and `@shop/platform/...`. */
function importedFile(file: string, i: string): string | undefined {
  const target = i.startsWith('.')
    ? resolve(dirname(file), i)
    : i.startsWith('@shop/platform/testing/')
      ? join(root, 'platform', 'testing', `${i.slice('@shop/platform/testing/'.length)}.ts`)
      : i.startsWith('@shop/platform/')
        ? join(root, 'platform', 'src', `${i.slice('@shop/platform/'.length)}.ts`)
        : isKernel(i)
          ? join(root, 'kernel', 'src', `${i.slice('@shop/kernel/'.length)}.ts`)
          : undefined
  return target && existsSync(target) && target.endsWith('.ts') ? target : undefined
}

/** A file's imports as files (type-only imports count too). */
const importedFiles = (file: string): string[] =>
  imports(file).flatMap((i) => {
    const t = importedFile(file, i)
    return t ? [t] : []
  })

/** The cycles of the graph that `next` walks from `starts` (each once, as the path around it). */
function cycles<T>(starts: Iterable<T>, next: (node: T) => Iterable<T>): T[][] {
  const found: T[][] = []
  const state = new Map<T, 'open' | 'done'>()
  const stack: T[] = []
  const visit = (n: T) => {
    state.set(n, 'open')
    stack.push(n)
    for (const m of next(n)) {
      if (state.get(m) === 'open') found.push([...stack.slice(stack.indexOf(m)), m])
      else if (!state.has(m)) visit(m)
    }
    stack.pop()
    state.set(n, 'done')
  }
  for (const n of starts) if (!state.has(n)) visit(n)
  return found
}

/** The import cycles among `files` (each once, as the path around it). */
const importCycles = (sources: readonly string[]): string[][] => cycles(sources, importedFiles)

describe('no import cycles', () => {
  test('among the source files of the kernel and the three services', () => {
    const sources = PACKAGES.flatMap((s) => files(join(root, s, 'src')))
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
      join(root, 'kernel', 'src', 'app.ts'),
    )
  })
})

/** A package's top-level parts: each folder directly under `src/`, and each file there. */
function partOf(file: string): string | undefined {
  for (const p of PACKAGES) {
    const src = join(root, p, 'src')
    if (!file.startsWith(`${src}/`)) continue
    return `${p}/src/${relative(src, file).split('/')[0]}`
  }
  return undefined
}

/** Edges between the top-level parts of the packages (`platform/src/http` → `platform/src/bus`). */
function partEdges(): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>()
  for (const p of PACKAGES)
    for (const f of files(join(root, p, 'src'))) {
      const from = partOf(f)!
      for (const t of importedFiles(f)) {
        const to = partOf(t)
        if (!to || to === from) continue
        if (!edges.has(from)) edges.set(from, new Set())
        edges.get(from)!.add(to)
      }
    }
  return edges
}

/** The cycles of a graph (each once, as the path around it). */
const graphCycles = (edges: Map<string, Set<string>>): string[][] => cycles(edges.keys(), (n) => edges.get(n) ?? [])

describe('package boundaries', () => {
  test('the kernel imports nothing of the platform or the services, and no I/O library', () => {
    const offenders = files(join(root, 'kernel', 'src')).flatMap((f) =>
      imports(f)
        .filter((i) => !i.startsWith('./') && !KERNEL_MAY_IMPORT.has(i))
        .map((i) => `${relative(root, f)} imports ${i}`),
    )
    expect(offenders).toEqual([])
  })
  test('the platform imports no service; no service imports another', () => {
    const offenders: string[] = []
    for (const p of ['platform', ...services])
      for (const f of files(join(root, p, 'src')))
        for (const i of imports(f)) {
          const target = i.startsWith('.') ? resolve(dirname(f), i) : ''
          const other = services.find(
            (s) =>
              s !== p && (i === `@shop/${s}` || i.startsWith(`@shop/${s}/`) || target.startsWith(join(root, s, '/'))),
          )
          if (other) offenders.push(`${relative(root, f)} imports ${i}`)
        }
    expect(offenders).toEqual([])
  })
  test('no two folders (top-level parts of a package) import each other, directly or around a loop', () => {
    expect(graphCycles(partEdges()).map((c) => c.join(' → '))).toEqual([])
  })
  test('the loop check finds a loop', () => {
    const edges = new Map([
      ['platform/src/http', new Set(['platform/src/observability'])],
      ['platform/src/observability', new Set(['platform/src/http'])],
    ])
    expect(graphCycles(edges)).toEqual([['platform/src/http', 'platform/src/observability', 'platform/src/http']])
    expect(partOf(join(root, 'platform', 'src', 'http', 'middleware', 'cors.ts'))).toBe('platform/src/http')
  })
  test('every package declares what its sources import (dependencies), and its tests (devDependencies too)', () => {
    const missing: string[] = []
    // client/scripts is a package of its own (make client's generator), its files at its top.
    const own = (dir: string) =>
      readdirSync(dir)
        .filter((f) => f.endsWith('.ts'))
        .map((f) => join(dir, f))
    for (const p of [...PACKAGES, 'client', 'client/scripts']) {
      const pkg = JSON.parse(readFileSync(join(root, p, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>
        devDependencies?: Record<string, string>
      }
      const deps = new Set(Object.keys(pkg.dependencies ?? {}))
      const all = new Set([...deps, ...Object.keys(pkg.devDependencies ?? {})])
      const dirs: (readonly [string, Set<string>])[] =
        p === 'client/scripts'
          ? [['.', all]]
          : [['src', deps], ['test', all], ['testing', all], ...(p === 'client' ? [] : [['scripts', all] as const])]
      for (const [dir, declared] of dirs)
        for (const f of dir === '.' ? own(join(root, p)) : files(join(root, p, dir)))
          for (const i of imports(f)) {
            if (i.startsWith('.') || i.startsWith('node:') || i.startsWith('bun')) continue
            const name = i.startsWith('@') ? i.split('/').slice(0, 2).join('/') : i.split('/')[0]!
            if (!declared.has(name)) missing.push(`${relative(root, f)} imports ${name}, not in ${p}/package.json`)
          }
    }
    expect(missing).toEqual([])
  })
})
